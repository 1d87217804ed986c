// The chaos helper's environment, read once: where the stack is (the `make up` stack.env names,
// or the handbook's ports under compose) and how long each fault lasts.
export type TargetKind = "devstack" | "compose";

export interface ChaosConfig {
  target: TargetKind;
  controlSocket: string;
  composeFile: string;
  databaseUrl: string;
  urls: { ingest: string; claimWorker: string; outboxProcessor: string; orchestrator: string; metricsCollector: string };
  machineToken: string;
  adminToken: string;
  /** How long Redis / NATS stay stopped (the suite's 60 s). */
  outageSeconds: number;
  /** How long the other client holds PostgreSQL's connections. */
  holdSeconds: number;
  /** Pin writes in the storm (the seed's 1000). */
  pinWrites: number;
  /** The sink answers 500 this long, then 429 with Retry-After as long again. */
  sinkFailSeconds: number;
  /** How long a claim worker stays paused (0 = its claim idle time plus 15 s). */
  pauseSeconds: number;
  /** The recovery target (the seed's 5 minutes). */
  recoveryTargetSeconds: number;
  /** The claim worker's reclaim idle time (M10_CLAIM_IDLE_MS, default 60000): the pause outlasts it. */
  claimIdleMs: number;
  /** The environment a helper process started by an experiment inherits (DATABASE_URL, REDIS_URL, ...). */
  processEnv: NodeJS.ProcessEnv;
}

export const CHAOS_VARIABLES: [string, string][] = [
  ["CHAOS_TARGET", "devstack (the `make up` stack, through <dir>/control.sock) or compose (docker compose); default devstack"],
  ["M10_STACK_DIR", "the `make up` directory (default .m10): stack.env and control.sock are read from it"],
  ["M10_COMPOSE_FILE", "compose file for CHAOS_TARGET=compose (default infra/docker-compose.yml)"],
  ["DATABASE_URL, INGEST_URL, CLAIM_WORKER_URL, OUTBOX_PROCESSOR_URL, ORCHESTRATOR_URL, METRICS_COLLECTOR_URL", "the stack (stack.env sets them; compose: the handbook's ports)"],
  ["M10_MACHINE_TOKEN, M10_ADMIN_TOKEN", "tokens for ingest and pins (stack.env sets them)"],
  ["CHAOS_OUTAGE_SECONDS", "how long Redis or NATS stays stopped (default 60)"],
  ["CHAOS_HOLD_SECONDS", "how long the connections are held (default 30)"],
  ["CHAOS_PIN_WRITES", "pin writes in the storm (default 1000)"],
  ["CHAOS_SINK_FAIL_SECONDS", "how long the sink answers 500, then 429 (default 120 each)"],
  ["CHAOS_PAUSE_SECONDS", "how long the claim worker stays paused (default: M10_CLAIM_IDLE_MS + 15 s)"],
  ["CHAOS_RECOVERY_TARGET_SECONDS", "recovery time above which the experiment fails (default 300)"],
];

export function readChaosConfig(env: NodeJS.ProcessEnv = process.env): ChaosConfig {
  const problems: string[] = [];
  const seconds = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text === "") return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) problems.push(`${name} must be a number of seconds >= 0 (got ${JSON.stringify(text)})`);
    return value;
  };
  const target = (env.CHAOS_TARGET ?? "devstack") as TargetKind;
  if (target !== "devstack" && target !== "compose") problems.push(`CHAOS_TARGET must be devstack or compose (got ${JSON.stringify(env.CHAOS_TARGET)})`);
  const stackDir = env.M10_STACK_DIR ?? ".m10";
  const url = (name: string, port: number) => env[name] ?? `http://127.0.0.1:${port}`;
  const config: ChaosConfig = {
    target,
    controlSocket: env.M10_CONTROL_SOCKET ?? `${stackDir}/control.sock`,
    composeFile: env.M10_COMPOSE_FILE ?? "infra/docker-compose.yml",
    databaseUrl: env.DATABASE_URL ?? "",
    urls: {
      ingest: url("INGEST_URL", 8000),
      metricsCollector: url("METRICS_COLLECTOR_URL", 9100),
      claimWorker: url("CLAIM_WORKER_URL", 9101),
      outboxProcessor: url("OUTBOX_PROCESSOR_URL", 9102),
      orchestrator: url("ORCHESTRATOR_URL", 9103),
    },
    machineToken: env.M10_MACHINE_TOKEN ?? env.MACHINE_SECRET_TOKEN ?? "",
    adminToken: env.M10_ADMIN_TOKEN ?? "",
    outageSeconds: seconds("CHAOS_OUTAGE_SECONDS", 60),
    holdSeconds: seconds("CHAOS_HOLD_SECONDS", 30),
    pinWrites: seconds("CHAOS_PIN_WRITES", 1000),
    sinkFailSeconds: seconds("CHAOS_SINK_FAIL_SECONDS", 120),
    pauseSeconds: seconds("CHAOS_PAUSE_SECONDS", 0),
    recoveryTargetSeconds: seconds("CHAOS_RECOVERY_TARGET_SECONDS", 300),
    claimIdleMs: seconds("M10_CLAIM_IDLE_MS", 60_000),
    processEnv: env,
  };
  if (!config.databaseUrl) problems.push("DATABASE_URL is not set (source <stack dir>/stack.env)");
  if (!config.machineToken) problems.push("M10_MACHINE_TOKEN is not set (source <stack dir>/stack.env)");
  if (!config.adminToken) problems.push("M10_ADMIN_TOKEN is not set (source <stack dir>/stack.env)");
  if (problems.length > 0) throw new ChaosConfigError(problems);
  return config;
}

export class ChaosConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid chaos configuration:\n  ${problems.join("\n  ")}`);
  }
}
