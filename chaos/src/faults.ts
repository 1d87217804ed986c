// The faults, injected one at a time while the load runs. Each one breaks something, waits, puts
// it right and returns when it did; the runner measures what happened around it.
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { DevServer } from "@m10/devstack";
import type { ChaosConfig } from "./config.js";
import type { ChaosSink } from "./sink.js";
import type { ChaosStack, ServiceSlot } from "./stack.js";

export interface FaultContext {
  stack: ChaosStack;
  sink: ChaosSink;
  config: ChaosConfig;
  log(event: string, fields?: Record<string, unknown>): void;
}

export interface Fault {
  name: string;
  /** 503 (with Retry-After) is the expected ingest answer while this fault lasts. */
  allows503: boolean;
  inject(context: FaultContext): Promise<void>;
}

const seconds = (n: number) => sleep(n * 1000);

/** Attempts at restarting a server: each waits devstack's 30 s for it to answer, too short on a loaded machine. */
const START_ATTEMPTS = 4;

async function restart(server: DevServer, log: FaultContext["log"]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await server.start();
      return;
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
      log("fault.server_slow_to_start", { server: server.name, attempt, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

function killAndRestart(slot: ServiceSlot): Fault {
  return {
    name: `kill-9 ${slot.name}`,
    allows503: false,
    async inject({ config, log }) {
      const pid = slot.current?.child.pid;
      await slot.kill();
      log("fault.killed", { service: slot.name, pid });
      await seconds(config.CHAOS_KILL_DOWN_SECONDS);
      await slot.start();
      log("fault.restarted", { service: slot.name, pid: slot.current?.child.pid });
    },
  };
}

function serverOutage(name: string, server: "postgres" | "redis" | "nats", downSeconds: (config: ChaosConfig) => number, allows503 = false): Fault {
  return {
    name,
    allows503,
    async inject({ stack, config, log }) {
      await stack.servers[server].stop();
      log("fault.server_stopped", { server });
      await seconds(downSeconds(config));
      await restart(stack.servers[server], log);
      log("fault.server_started", { server });
    },
  };
}

const sinkFailing: Fault = {
  name: "sink-500-then-429",
  allows503: false,
  async inject({ sink, config, log }) {
    sink.mode = { kind: "error", status: 500 };
    log("fault.sink", { status: 500, seconds: config.CHAOS_SINK_500_SECONDS });
    await seconds(config.CHAOS_SINK_500_SECONDS);
    sink.mode = { kind: "throttle", retryAfterSeconds: config.CHAOS_SINK_RETRY_AFTER_SECONDS };
    log("fault.sink", { status: 429, retry_after: config.CHAOS_SINK_RETRY_AFTER_SECONDS, seconds: config.CHAOS_SINK_429_SECONDS });
    await seconds(config.CHAOS_SINK_429_SECONDS);
    sink.mode = { kind: "ok" };
  },
};

/** Another client opens connections until PostgreSQL has 2 left, holds them, then lets go. */
const connectionExhaustion: Fault = {
  name: "db-connection-exhaustion",
  allows503: true,
  async inject({ stack, config, log }) {
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    const held: pg.Client[] = [admin];
    try {
      const { rows } = await admin.query<{ max: number; used: number }>(
        "SELECT current_setting('max_connections')::int AS max, (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used",
      );
      const { max, used } = rows[0] as { max: number; used: number };
      const wanted = max - used - 2;
      for (let i = 0; i < wanted; i++) {
        const client = new pg.Client({ connectionString: stack.databaseUrl, connectionTimeoutMillis: 5_000 });
        client.on("error", () => undefined);
        try {
          await client.connect();
          held.push(client);
        } catch {
          break; // the services took the last slots meanwhile: exhausted all the same
        }
      }
      log("fault.connections_held", { max_connections: max, in_use_before: used, held: held.length });
      await seconds(config.CHAOS_EXHAUSTION_SECONDS);
    } finally {
      await Promise.all(held.map((client) => client.end().catch(() => undefined)));
    }
  },
};

/** A claim worker frozen past its lease (a partition from Redis and PostgreSQL), then thawed. */
function pausedWorker(slot: ServiceSlot): Fault {
  return {
    name: `sigstop ${slot.name}`,
    allows503: false,
    async inject({ config, log }) {
      slot.signal("SIGSTOP");
      log("fault.paused", { service: slot.name, seconds: config.CHAOS_PAUSE_SECONDS });
      await seconds(config.CHAOS_PAUSE_SECONDS);
      slot.signal("SIGCONT");
      log("fault.resumed", { service: slot.name });
    },
  };
}

/** Issue 15's faults, in its order. */
export function allFaults(stack: ChaosStack): Fault[] {
  const worker = stack.services.find((slot) => slot.kind === "claim-worker");
  if (!worker) throw new Error("no claim worker in the stack");
  return [
    ...stack.services.map(killAndRestart),
    serverOutage("redis-outage", "redis", (config) => config.CHAOS_OUTAGE_SECONDS),
    // PostgreSQL is the one dependency ingest cannot answer without: 503 + Retry-After while it is down.
    serverOutage("postgres-restart", "postgres", (config) => config.CHAOS_POSTGRES_DOWN_SECONDS, true),
    serverOutage("nats-outage", "nats", (config) => config.CHAOS_OUTAGE_SECONDS),
    sinkFailing,
    connectionExhaustion,
    pausedWorker(worker),
  ];
}
