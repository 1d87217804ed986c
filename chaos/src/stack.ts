// The stack under test: PostgreSQL, Redis and NATS from devstack, and the real service processes
// (2 ingest, 2 claim workers, 2 outbox processors, the orchestrator every 10 s), each in a slot
// that a fault can kill, pause and restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNats, createPostgres, createRedis, type DevServer, freePort } from "@m10/devstack";
import { startService, type RunningService } from "@m10/devstack/service-process";
import { migrateUp } from "@m10/migrations";

export const MACHINE_TOKEN = "mch_chaos_0123456789abcdef0123456789abcdef";

/**
 * Timings shortened from the services' defaults so that a worker's lost lease, a killed
 * processor's claim and a failing target's backoff come back within the suite's 15 minutes. Every
 * other setting is the default an operator runs.
 */
export const SUITE_TUNING: Readonly<Record<string, string>> = {
  M10_CLAIM_IDLE_MS: "20000",
  M10_EVALUATION_LEASE_MS: "15000",
  M10_OUTBOX_LEASE_SECONDS: "60",
  OUTBOX_BACKOFF_BASE_SECONDS: "1",
  OUTBOX_BACKOFF_MAX_SECONDS: "15",
  M10_SWEEP_AFTER_SECONDS: "60",
};

/** A loaded 2-core machine can take well over the usual 30 s to start a Node service. */
const HEALTH_TIMEOUT_MS = 120_000;

export type ServiceKind = "ingest" | "claim-worker" | "outbox-processor" | "orchestrator";

const BINS: Record<ServiceKind, { bin: string; args: string[] }> = {
  ingest: { bin: "services/ingest/bin/m10-ingest.js", args: [] },
  "claim-worker": { bin: "services/claim-worker/bin/m10-claim-worker.js", args: [] },
  "outbox-processor": { bin: "services/outbox-processor/bin/m10-outbox-processor.js", args: [] },
  orchestrator: { bin: "services/orchestrator/bin/m10-orchestrator.js", args: ["--every", "10s"] },
};

/** One service process that faults kill, pause and restart; `current` is the live one. */
export interface ServiceSlot {
  name: string;
  kind: ServiceKind;
  current: RunningService | undefined;
  /** Processes this slot has started and that exited without being asked to (crashes). */
  unexpectedExits: string[];
  start(): Promise<void>;
  kill(): Promise<void>;
  signal(signal: "SIGSTOP" | "SIGCONT"): void;
  stop(): Promise<void>;
}

function serviceSlot(name: string, kind: ServiceKind, env: Record<string, string>): ServiceSlot {
  const { bin, args } = BINS[kind];
  let expectingExit = false;
  const slot: ServiceSlot = {
    name,
    kind,
    current: undefined,
    unexpectedExits: [],
    async start() {
      expectingExit = false;
      const service = await startService(bin, env, args, HEALTH_TIMEOUT_MS);
      slot.current = service;
      void service.exited.then((code) => {
        if (!expectingExit && slot.current === service) slot.unexpectedExits.push(`${name} exited with ${code}: ${service.output().slice(-2_000)}`);
      });
    },
    async kill() {
      expectingExit = true;
      await slot.current?.stop("SIGKILL");
      slot.current = undefined;
    },
    signal(signal) {
      slot.current?.child.kill(signal);
    },
    async stop() {
      expectingExit = true;
      await slot.current?.stop("SIGTERM");
      slot.current = undefined;
    },
  };
  return slot;
}

export interface Servers {
  postgres: DevServer;
  redis: DevServer;
  nats: DevServer;
}

export interface ChaosStack {
  servers: Servers;
  databaseUrl: string;
  redisUrl: string;
  natsUrl: string;
  services: ServiceSlot[];
  /** Base URLs of the ingest processes running now. */
  ingestUrls(): string[];
  close(): Promise<void>;
}

/**
 * PostgreSQL without fsync (a test cluster: a stopped server loses nothing), Redis with the
 * production AOF (a stopped and restarted Redis keeps its stream, as in production), NATS with
 * JetStream on disk.
 */
async function startServers(dir: string, started: DevServer[]): Promise<Servers> {
  const postgres = await createPostgres({ dir: join(dir, "postgres"), port: await freePort(), ephemeral: true, database: "m10" });
  started.push(postgres);
  const redis = await createRedis({ dir: join(dir, "redis"), port: await freePort(), durable: true });
  started.push(redis);
  const nats = await createNats({ dir: join(dir, "nats"), port: await freePort() });
  started.push(nats);
  return { postgres, redis, nats };
}

export async function startChaosStack(sinkUrl: string): Promise<ChaosStack> {
  const dir = mkdtempSync(join(tmpdir(), "m10-chaos-"));
  let servers: Servers;
  const started: DevServer[] = [];
  const services: ServiceSlot[] = [];
  const close = async () => {
    await Promise.all(services.map((slot) => slot.stop()));
    await Promise.all(started.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    servers = await startServers(dir, started);
    await migrateUp(servers.postgres.url);
    const env: Record<string, string> = {
      DATABASE_URL: servers.postgres.url,
      REDIS_URL: servers.redis.url,
      NATS_URL: servers.nats.url,
      M10_MACHINE_TOKEN: MACHINE_TOKEN,
      LOG_LEVEL: "warn",
      OUTBOX_ROUTES_JSON: JSON.stringify({
        targets: {
          sink: { type: "webhook", url: `${sinkUrl}/events`, rpm: 0 },
          events: { type: "nats" },
        },
        routes: { "*": ["sink", "events"] },
      }),
      ...SUITE_TUNING,
    };
    const plan: [string, ServiceKind][] = [
      ["ingest-1", "ingest"],
      ["ingest-2", "ingest"],
      ["claim-worker-1", "claim-worker"],
      ["claim-worker-2", "claim-worker"],
      ["outbox-processor-1", "outbox-processor"],
      ["outbox-processor-2", "outbox-processor"],
      ["orchestrator", "orchestrator"],
    ];
    for (const [name, kind] of plan) services.push(serviceSlot(name, kind, env));
    // One at a time: seven Node processes starting together starve each other on two cores.
    for (const slot of services) await slot.start();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    servers,
    databaseUrl: servers.postgres.url,
    redisUrl: servers.redis.url,
    natsUrl: servers.nats.url,
    services,
    ingestUrls: () => services.filter((s) => s.kind === "ingest" && s.current).map((s) => (s.current as RunningService).url),
    close,
  };
}
