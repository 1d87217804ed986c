import { join } from "node:path";
import { createNats } from "./nats.js";
import { pickPort } from "./ports.js";
import { createPostgres } from "./postgres.js";
import { createRedis } from "./redis.js";
import type { DevServer } from "./server.js";

export interface StackOptions {
  /** Where data and logs live: a temp dir for tests, `.m10/` for `make up`. */
  dir: string;
  /** Throwaway (tests: fast, not durable) or persistent (`make up`: durable settings). */
  ephemeral: boolean;
  /** Preferred ports; a taken one falls back to a free port. Omitted = any free port. */
  ports?: { postgres?: number; redis?: number; nats?: number };
  database?: string;
}

export interface Stack {
  postgres: DevServer;
  redis: DevServer;
  nats: DevServer;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const [pgPort, redisPort, natsPort] = [
    await pickPort(options.ports?.postgres),
    await pickPort(options.ports?.redis),
    await pickPort(options.ports?.nats),
  ];
  const started: DevServer[] = [];
  try {
    const postgres = await createPostgres({ dir: join(options.dir, "postgres"), port: pgPort, ephemeral: options.ephemeral, database: options.database });
    started.push(postgres);
    const redis = await createRedis({ dir: join(options.dir, "redis"), port: redisPort, durable: !options.ephemeral });
    started.push(redis);
    const nats = await createNats({ dir: join(options.dir, "nats"), port: natsPort });
    started.push(nats);
    return {
      postgres,
      redis,
      nats,
      stop: async () => {
        await Promise.all(started.map((server) => server.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    throw error;
  }
}
