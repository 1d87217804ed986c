// `make up`: PostgreSQL, Redis and NATS under .m10/, the schema migrated, and the six services,
// until Ctrl-C stops everything this started.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import { migrateUp } from "@m10/migrations";
import { serveControl } from "./control.js";
import { ManagedProcess } from "./managed-process.js";
import { pickPort } from "./ports.js";
import { startStack } from "./stack.js";
import { UpProcesses } from "./up-processes.js";
import { waitFor } from "./wait.js";

interface ServiceSpec {
  name: string;
  bin: string;
  port: number;
  urlVar: string;
  args?: string[];
  env?: Record<string, string>;
}

const SERVICES: ServiceSpec[] = [
  // The seeds' ingest curl commands send no token: this local stack lets anonymous callers ingest
  // (and nothing else). Production keeps RBAC_ANONYMOUS_PERMISSIONS empty. The stack listens on
  // loopback only, so it also serves the OpenAPI document and Swagger UI (/docs).
  {
    name: "ingest",
    bin: "services/ingest/bin/m10-ingest.js",
    port: 8000,
    urlVar: "INGEST_URL",
    env: { RBAC_ANONYMOUS_PERMISSIONS: "ingest:write", HOST: "127.0.0.1", M10_DOCS_ENABLED: "true" },
  },
  { name: "metrics-collector", bin: "services/metrics-collector/bin/m10-metrics-collector.js", port: 9100, urlVar: "METRICS_COLLECTOR_URL" },
  { name: "claim-worker", bin: "services/claim-worker/bin/m10-claim-worker.js", port: 9101, urlVar: "CLAIM_WORKER_URL" },
  // Payload-addressed events may reach this machine's loopback only, so the chaos scripts' sink
  // (scripts/chaos/sink_failures.sh) can be a target; production keeps payload addressing off.
  {
    name: "outbox-processor",
    bin: "services/outbox-processor/bin/m10-outbox-processor.js",
    port: 9102,
    urlVar: "OUTBOX_PROCESSOR_URL",
    env: { OUTBOX_PAYLOAD_ADDRESSING_ENABLED: "true", OUTBOX_PAYLOAD_ALLOWED_HOSTS: "127.0.0.1", OUTBOX_PAYLOAD_ALLOWED_PRIVATE: "127.0.0.1" },
  },
  { name: "orchestrator", bin: "services/orchestrator/bin/m10-orchestrator.js", port: 9103, urlVar: "ORCHESTRATOR_URL", args: ["--every", "5m"] },
  // Started last: it reads the other services' URLs (health page) from the same environment.
  { name: "console", bin: "services/console/bin/m10-console.js", port: 9104, urlVar: "CONSOLE_URL" },
];

export function repositoryRoot(from = process.cwd()): string {
  for (let dir = resolve(from); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
  }
  throw new Error("not inside the M10 repository (no pnpm-workspace.yaml above the current directory)");
}

/** Tokens survive restarts so a sourced stack.env keeps working. */
function tokens(dir: string): { admin: string; machine: string } {
  const file = join(dir, "tokens.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { admin: string; machine: string };
  const generated = { admin: `adm_${randomBytes(24).toString("hex")}`, machine: `mch_${randomBytes(24).toString("hex")}` };
  writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
  return generated;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function up(dirArg: string): Promise<number> {
  const root = repositoryRoot();
  const dir = resolve(root, dirArg);
  mkdirSync(join(dir, "logs"), { recursive: true });
  const say = (message: string) => process.stderr.write(`[m10 up] ${message}\n`);

  say(`starting PostgreSQL, Redis and NATS under ${dir}`);
  const stack = await startStack({ dir, ephemeral: false, ports: { postgres: 5433, redis: 6379, nats: 4222 }, database: "m10" });
  const owned = new UpProcesses(say);
  for (const server of [stack.postgres, stack.redis, stack.nats]) owned.addServer(server);
  const processes: { spec: ServiceSpec; proc: ManagedProcess }[] = [];
  const controlSocket = join(dir, "control.sock");
  let control: Server | undefined;
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    control?.close();
    say("stopping services, then PostgreSQL, Redis and NATS");
    await owned.stopAll();
  };
  try {
    say("migrating");
    const applied = await migrateUp(stack.postgres.url);
    say(applied.length ? `applied ${applied.length} migrations` : "schema is up to date");

    const { admin, machine } = tokens(dir);
    const env: Record<string, string> = {
      DATABASE_URL: stack.postgres.url,
      REDIS_URL: stack.redis.url,
      NATS_URL: stack.nats.url,
      M10_ADMIN_TOKEN: admin,
      M10_MACHINE_TOKEN: machine,
    };
    for (const spec of SERVICES) {
      const port = await pickPort(spec.port);
      spec.port = port;
      env[spec.urlVar] = `http://127.0.0.1:${port}`;
    }
    const envFile = join(dir, "stack.env");
    writeFileSync(envFile, Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join("\n") + "\n", { mode: 0o600 });

    for (const spec of SERVICES) {
      const proc = new ManagedProcess({
        command: process.execPath,
        args: [join(root, spec.bin), ...(spec.args ?? [])],
        logFile: join(dir, "logs", `${spec.name}.log`),
        env: { ...process.env, ...env, PORT: String(spec.port), M10_HEALTH_PORT: String(spec.port), ...spec.env },
      });
      proc.spawn();
      processes.push({ spec, proc });
      owned.addService(spec.name, proc);
    }
    for (const { spec, proc } of processes) {
      const logFile = join(dir, "logs", `${spec.name}.log`);
      try {
        await waitFor(`${spec.name} /health`, async () => {
          if (!proc.running) throw new Error("exited");
          return httpOk(`http://127.0.0.1:${spec.port}/health`);
        });
      } catch (error) {
        const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n") : "";
        throw new Error(`${error instanceof Error ? error.message : String(error)}; last lines of ${logFile}:\n${tail}`);
      }
    }

    control = await serveControl(controlSocket, owned);
    owned.supervise((name) => join(dir, "logs", `${name}.log`));

    const lines = [
      "",
      "M10 is up.",
      `  PostgreSQL        ${stack.postgres.url}`,
      `  Redis             ${stack.redis.url}`,
      `  NATS (JetStream)  ${stack.nats.url}`,
      ...SERVICES.map((s) => `  ${s.name.padEnd(17)} http://127.0.0.1:${s.port}   (logs: ${join(dirArg, "logs", `${s.name}.log`)})`),
      "",
      `  admin token       ${admin}   (log in to the console with it)`,
      `  machine token     ${machine}`,
      "  (anonymous callers may POST failures to ingest on this local stack, as the runbooks' curl commands do)",
      "",
      `  source ${join(dirArg, "stack.env")}   # DATABASE_URL, REDIS_URL, NATS_URL, *_URL, tokens`,
      `  control socket    ${join(dirArg, "control.sock")}   (scripts/chaos/ stop, start, kill, pause and resume processes through it)`,
      "  A service that exits is restarted.",
      "  Ctrl-C stops everything.",
      "",
    ];
    process.stdout.write(lines.join("\n"));
  } catch (error) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    return 1;
  }

  return new Promise<number>((resolveExit) => {
    const onSignal = () => {
      void stopAll().then(() => resolveExit(0));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}
