// The built services and m10ctl as real processes, pointed at whichever Redis / NATS a test runs.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startService, type RunningService } from "@m10/devstack/testing";

export const MACHINE_TOKEN = "mch_cluster_token_0123456789abcdef_0123456789ab";

/** Fast settings so reclaim, leases and polls happen in test time. */
const FAST_WORKER_ENV: Record<string, string> = {
  M10_BLOCK_MS: "200",
  M10_RECLAIM_INTERVAL_MS: "200",
  M10_CLAIM_IDLE_MS: "1000",
  M10_EVALUATION_LEASE_MS: "1000",
  RECOVERY_WORKER_POLL_INTERVAL: "0.2",
  M10_SHUTDOWN_TIMEOUT_MS: "10000",
};

// Nine processes starting side by side on the loaded 2-core test machine took longer than
// devstack's 90 s default to answer /health.
const HEALTH_TIMEOUT_MS = 240_000;

export interface Endpoints {
  databaseUrl: string;
  redisUrl: string;
  natsUrl?: string;
}

const baseEnv = (endpoints: Endpoints): Record<string, string> => ({
  DATABASE_URL: endpoints.databaseUrl,
  REDIS_URL: endpoints.redisUrl,
  ...(endpoints.natsUrl ? { NATS_URL: endpoints.natsUrl } : {}),
  LOG_LEVEL: "warn",
});

export function startIngest(endpoints: Endpoints, extra: Record<string, string> = {}): Promise<RunningService> {
  return startService("services/ingest/bin/m10-ingest.js", { ...baseEnv(endpoints), HOST: "127.0.0.1", M10_MACHINE_TOKEN: MACHINE_TOKEN, ...extra }, [], HEALTH_TIMEOUT_MS);
}

export function startWorker(endpoints: Endpoints, extra: Record<string, string> = {}): Promise<RunningService> {
  return startService("services/claim-worker/bin/m10-claim-worker.js", { ...baseEnv(endpoints), ...FAST_WORKER_ENV, ...extra }, [], HEALTH_TIMEOUT_MS);
}

export function startOutboxProcessor(endpoints: Endpoints, extra: Record<string, string> = {}): Promise<RunningService> {
  return startService("services/outbox-processor/bin/m10-outbox-processor.js", { ...baseEnv(endpoints), OUTBOX_POLL_INTERVAL: "0.2", ...extra }, [], HEALTH_TIMEOUT_MS);
}

/**
 * Starts services side by side (on a busy machine nine processes starting together get far more
 * CPU than one at a time); when one fails, stops the others and throws.
 */
export async function startAll(starts: (() => Promise<RunningService>)[]): Promise<RunningService[]> {
  const settled = await Promise.allSettled(starts.map((start) => start()));
  const started = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await Promise.all(started.map((service) => service.stop("SIGKILL")));
    throw failed.reason;
  }
  return started;
}

/** POST /api/v1/recovery/ingest; resolves with the status and the candidate id the API returned. */
export async function ingest(service: RunningService, failureMatchId: string): Promise<{ status: number; candidateId: number | undefined }> {
  const response = await fetch(`${service.url}/api/v1/recovery/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MACHINE_TOKEN}` },
    body: JSON.stringify({ failure_match_id: failureMatchId, failure_payload: { error_type: "TIMEOUT", raw: "Connection timed out after 30s" }, source: "cluster-test" }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json().catch(() => ({}))) as { candidate_id?: number };
  return { status: response.status, candidateId: body.candidate_id };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

const repoBin = (...path: string[]) => join(import.meta.dirname, "..", "..", "..", "..", ...path);

/** Runs a built command line tool with `--json` to its end. */
function runJson(bin: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, [bin, ...args, "--json"], { env: { ...process.env, LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) =>
    child.once("close", (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        // the assertions on code and json show stdout/stderr
      }
      resolve({ code, stdout, stderr, json });
    }),
  );
}

/** m10ctl <args> --json as an operator runs it. */
export function m10ctl(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runJson(repoBin("packages", "cli", "bin", "m10ctl.js"), args, env);
}

/** One m10-orchestrator run of `tasks` (--json), as the systemd timer starts it. */
export function orchestratorRun(tasks: string[], endpoints: Endpoints, extra: Record<string, string> = {}): Promise<CliRun> {
  return runJson(repoBin("services", "orchestrator", "bin", "m10-orchestrator.js"), ["--tasks", tasks.join(",")], { ...baseEnv(endpoints), ...extra });
}
