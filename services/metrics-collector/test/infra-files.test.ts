/**
 * The deployment files: docker-compose (parsed, cross-checked against the Prometheus scrape
 * config and the files it mounts; Docker itself is not run here), the service image's Dockerfile,
 * the Redis durable and Sentinel configurations (run with the real redis-server), the systemd
 * units (systemd-analyze verify) and the /etc/m10/m10.env example.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  claimWorkerConfigSchema,
  createRedisClient,
  describeEnv,
  ingestConfigSchema,
  metricsCollectorConfigSchema,
  orchestratorConfigSchema,
  outboxProcessorConfigSchema,
  type RedisClient,
} from "@m10/shared";
import { freePort } from "@m10/devstack";
import { uniqueStreamKeys } from "@m10/devstack/testing";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStreamGauges } from "../src/redis-source.js";
import { testRedis } from "./support/prepared-state.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const INFRA = join(REPO, "infra");
const run = promisify(execFile);

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  network_mode?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Compose files use YAML merge keys (<<: *anchor). */
function loadCompose(path: string): ComposeFile {
  return parse(readFileSync(path, "utf8"), { merge: true }) as ComposeFile;
}

/** The local files a compose file refers to; relative paths resolve against infra/ (the project directory). */
function referencedFiles(compose: ComposeFile): { service: string; path: string }[] {
  return Object.entries(compose.services).flatMap(([service, spec]) => [
    ...(spec.build ? [{ service, path: resolve(INFRA, spec.build.context, spec.build.dockerfile) }] : []),
    ...(spec.volumes ?? [])
      .map((volume) => volume.split(":")[0] ?? "")
      .filter((source) => source.startsWith("./") || source.startsWith("../"))
      .map((source) => ({ service, path: resolve(INFRA, source) })),
  ]);
}

const M10_SERVICES = ["ingest", "claim-worker", "outbox-processor", "orchestrator", "metrics-collector"] as const;

describe("infra/docker-compose.yml (parsed and cross-checked; not run: no Docker here)", () => {
  const compose = loadCompose(join(INFRA, "docker-compose.yml"));

  it("runs the whole stack: PostgreSQL, Redis, NATS, migrate, the five services, Prometheus and its lifecycle gate, Alertmanager, Grafana", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["alertmanager", "grafana", "migrate", "nats", "postgres", "prometheus", "prometheus-gate", "redis", ...M10_SERVICES].sort(),
    );
    for (const [name, service] of Object.entries(compose.services)) expect(service.network_mode, name).toBe("host");
  });

  it("builds each service from its own Dockerfile with the repository root as context, after the migration", () => {
    for (const name of M10_SERVICES) {
      const service = compose.services[name];
      expect(service?.build, name).toEqual({ context: "..", dockerfile: `services/${name}/Dockerfile` });
      expect(service?.depends_on, name).toMatchObject({ migrate: { condition: "service_completed_successfully" } });
    }
    expect(compose.services.migrate?.command).toEqual(["node", "migrations/bin/m10-migrate.js", "up"]);
    expect(compose.services.migrate?.depends_on).toMatchObject({ postgres: { condition: "service_healthy" } });
    expect(compose.services.orchestrator?.command).toEqual(["--every", "5m"]);
  });

  it("uses the handbook's PostgreSQL (5433, nova_aos), the durable Redis config and NATS with JetStream", () => {
    expect(compose.services.postgres?.command?.join(" ")).toContain("port=5433");
    expect(compose.services.postgres?.environment).toMatchObject({ POSTGRES_USER: "nova", POSTGRES_DB: "nova_aos" });
    expect(compose.services.redis?.volumes).toContain("./redis/redis-m10-durable.conf:/usr/local/etc/redis/redis.conf:ro");
    expect(compose.services.nats?.command).toContain("--jetstream");
    for (const name of M10_SERVICES) {
      expect(compose.services[name]?.environment?.DATABASE_URL, name).toContain("@127.0.0.1:5433/nova_aos");
      expect(compose.services[name]?.environment?.REDIS_URL, name).toBe("redis://127.0.0.1:6379/0");
    }
  });

  it("passes the M7 runbook's switches to ingest from the shell (RBAC_ENFORCE=false docker compose up -d takes effect), defaulting as ingest does", () => {
    const environment = compose.services.ingest?.environment ?? {};
    const defaults = Object.fromEntries(describeEnv(ingestConfigSchema).map((doc) => [doc.name, String(doc.default)]));
    for (const name of ["RBAC_ENFORCE", "MEMORY_PINS_ENABLED", "M10_MACHINE_TOKEN_TENANTS"]) {
      expect(environment[name], name).toBe(`\${${name}:-${defaults[name]}}`);
    }
  });

  it("listens where infra/prometheus/prometheus.yml scrapes each service", () => {
    const prometheus = parse(readFileSync(join(INFRA, "prometheus/prometheus.yml"), "utf8")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const scraped = new Map(prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs[0]?.targets[0]]));
    for (const name of M10_SERVICES) {
      const environment = compose.services[name]?.environment ?? {};
      const port = environment.M10_HEALTH_PORT ?? environment.PORT;
      expect(scraped.get(`m10-${name}`), name).toBe(`localhost:${port}`);
    }
    expect(compose.services.prometheus?.volumes).toContain("./prometheus:/etc/prometheus:ro");
    // Prometheus behind its lifecycle gate (packages/cli/test/prometheus-gate.test.ts): operators use 9090.
    expect(compose.services.prometheus?.command).toContain("--web.listen-address=127.0.0.1:9091");
    expect(compose.services["prometheus-gate"]?.environment).toMatchObject({ PROM_GATE_LISTEN: "127.0.0.1:9090", PROM_UPSTREAM_URL: "http://127.0.0.1:9091" });
    expect(compose.services.alertmanager?.command).toContain("--web.listen-address=127.0.0.1:9093");
    expect(compose.services.grafana?.environment?.GF_SERVER_HTTP_PORT).toBe("3000");
  });

  const serviceDockerfiles = M10_SERVICES.map((name) => join(REPO, `services/${name}/Dockerfile`));

  it("refers only to configuration files and build files that exist, in the stack and in the Sentinel overlay", () => {
    const overlay = loadCompose(join(INFRA, "redis/docker-compose.sentinel.yml"));
    const files = [...referencedFiles(compose), ...referencedFiles(overlay)].filter((file) => !serviceDockerfiles.includes(file.path));
    expect(files.map((file) => file.path)).toContain(join(INFRA, "docker/migrate.Dockerfile"));
    expect(files.map((file) => file.path)).toContain(join(INFRA, "grafana/provisioning"));
    expect(files.filter((file) => !existsSync(file.path)).map((file) => `${file.service}: ${file.path}`)).toEqual([]);
  });

  it("every M10 service has the Dockerfile compose builds it from (services/metrics-collector/Dockerfile is the model)", () => {
    expect(serviceDockerfiles.filter((path) => !existsSync(path))).toEqual([]);
  });

  it("the Sentinel overlay points every service at the sentinels and only adds Redis containers", () => {
    const overlay = loadCompose(join(INFRA, "redis/docker-compose.sentinel.yml"));
    for (const name of M10_SERVICES) expect(overlay.services[name]?.environment?.REDIS_URL, name).toMatch(/^redis-sentinel:\/\/.*\/m10-master$/);
    const added = Object.keys(overlay.services).filter((name) => !(name in compose.services));
    expect(added.sort()).toEqual(["redis-replica-1", "redis-replica-2", "redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"]);
  });
});

describe("services/metrics-collector/Dockerfile", () => {
  const dockerfile = readFileSync(join(REPO, "services/metrics-collector/Dockerfile"), "utf8");
  const instructions = dockerfile.split("\n").filter((line) => line.trim() && !line.startsWith("#"));

  it("builds in one stage and runs in a second, both node:24-bookworm-slim", () => {
    expect(dockerfile).toContain("ARG NODE_IMAGE=node:24-bookworm-slim");
    expect(instructions.filter((line) => line.startsWith("FROM ")).map((line) => line.split(" ").slice(1).join(" "))).toEqual([
      "${NODE_IMAGE} AS build",
      "${NODE_IMAGE} AS runtime",
    ]);
  });

  it("installs from the lockfile, builds with turbo, deploys production dependencies only", () => {
    expect(dockerfile).toMatch(/npm install --global .*pnpm@/);
    expect(dockerfile).toContain("pnpm install --frozen-lockfile");
    expect(dockerfile).toContain("pnpm turbo run build --filter=@m10/metrics-collector...");
    expect(dockerfile).toMatch(/pnpm --filter=@m10\/metrics-collector deploy --prod/);
  });

  it("runs the package's bin as the unprivileged node user, with a HEALTHCHECK on /health", () => {
    const bin = (JSON.parse(readFileSync(join(REPO, "services/metrics-collector/package.json"), "utf8")) as { bin: Record<string, string> }).bin;
    const runtime = instructions.slice(instructions.findIndex((line) => line.includes("AS runtime")));
    expect(runtime).toContain("USER node");
    expect(runtime.join("\n")).toMatch(/HEALTHCHECK[\s\S]*\/health/);
    expect(runtime).toContain(`ENTRYPOINT ["node", "${bin["m10-metrics-collector"]?.replace(/^\.\//, "")}"]`);
  });

  it("keeps node_modules, build output and .git out of the build context", () => {
    const ignored = readFileSync(join(REPO, "services/metrics-collector/Dockerfile.dockerignore"), "utf8").split("\n");
    for (const pattern of ["**/node_modules", "**/dist", ".git"]) expect(ignored).toContain(pattern);
  });
});

/** A redis-server of this test, from a configuration file plus overrides; stopped in afterAll. */
async function startRedisServer(args: string[], cwd: string): Promise<{ child: ChildProcess; client: RedisClient; port: number }> {
  const port = await freePort();
  const child = spawn("redis-server", [...args, "--port", String(port)], { cwd, stdio: "ignore" });
  const client = testRedis(`redis://127.0.0.1:${port}/0`);
  await client.ping();
  return { child, client, port };
}

describe("infra/redis (with the real redis-server)", () => {
  const dir = mkdtempSync(join(tmpdir(), "m10-redis-conf-"));
  const children: ChildProcess[] = [];
  const clients: RedisClient[] = [];
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const exited = running.map((child) => once(child, "exit"));
    for (const child of running) child.kill("SIGKILL");
    // Their files go once the servers are gone.
    await Promise.all(exited);
    rmSync(dir, { recursive: true, force: true });
  });

  it("redis-m10-durable.conf loads and keeps a stream across SHUTDOWN SAVE and a restart", async () => {
    const conf = join(INFRA, "redis/redis-m10-durable.conf");
    const first = await startRedisServer([conf, "--dir", dir], dir);
    children.push(first.child);
    clients.push(first.client);
    expect(await first.client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    expect(await first.client.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
    expect(await first.client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    expect(await first.client.config("GET", "protected-mode")).toEqual(["protected-mode", "yes"]);
    await first.client.xadd("m10:durability:check", "*", "k", "v");
    const exited = new Promise((done) => first.child.once("exit", done));
    await first.client.call("SHUTDOWN", "SAVE").catch(() => undefined);
    await exited;

    const second = spawn("redis-server", [conf, "--dir", dir, "--port", String(first.port)], { cwd: dir, stdio: "ignore" });
    children.push(second);
    const client = testRedis(`redis://127.0.0.1:${first.port}/0`);
    clients.push(client);
    expect(await client.xlen("m10:durability:check")).toBe(1);
  });

  it("sentinel.conf finds the master, and the collector reads the stream through a redis-sentinel:// URL", async () => {
    const master = await startRedisServer([join(INFRA, "redis/redis-m10-durable.conf"), "--dir", dir], dir);
    children.push(master.child);
    clients.push(master.client);
    const sentinelConf = join(dir, "sentinel.conf");
    copyFileSync(join(INFRA, "redis/sentinel.conf"), sentinelConf);
    writeFileSync(sentinelConf, readFileSync(sentinelConf, "utf8").replace("m10-master 127.0.0.1 6379 2", `m10-master 127.0.0.1 ${master.port} 2`));
    const sentinel = await startRedisServer([sentinelConf, "--sentinel"], dir);
    children.push(sentinel.child);
    clients.push(sentinel.client);
    expect(await sentinel.client.call("SENTINEL", "get-master-addr-by-name", "m10-master")).toEqual(["127.0.0.1", String(master.port)]);

    const keys = uniqueStreamKeys();
    await master.client.xadd(keys.stream, "*", "candidate_id", "1");
    const viaSentinel = createRedisClient(`redis-sentinel://127.0.0.1:${sentinel.port}/m10-master`);
    viaSentinel.on("error", () => undefined);
    clients.push(viaSentinel);
    const gauges = await readStreamGauges(viaSentinel, { keys, activeWithinMs: 300_000, claimIdleMs: 60_000, pendingScanLimit: 100, connectWaitMs: 5_000 });
    expect(gauges.streamLength).toBe(1);
  });
});

describe("systemd units (systemd-analyze verify)", () => {
  const units = readdirSync(join(REPO, "services")).flatMap((service) => {
    const unitDir = join(REPO, "services", service, "systemd");
    return existsSync(unitDir) ? readdirSync(unitDir).map((file) => join(unitDir, file)) : [];
  });

  it("every unit under services/*/systemd/ verifies without a warning", async () => {
    expect(units).toContain(join(REPO, "services/metrics-collector/systemd/m10-metrics-collector.service"));
    // Timers are verified together with their services (a timer needs the unit it starts).
    const { stdout, stderr } = await run("systemd-analyze", ["verify", ...units]).catch((error: { stdout?: string; stderr?: string; code?: unknown }) => {
      if (error.code === "ENOENT") throw new Error("systemd-analyze is not installed (Debian package systemd); the units cannot be verified without it");
      return { stdout: error.stdout ?? "", stderr: error.stderr ?? "" };
    });
    const problems = `${stdout}${stderr}`.split("\n").filter((line) => units.some((unit) => line.includes(unit)));
    expect(problems).toEqual([]);
  });

  it("the metrics collector's unit runs the bin as user m10 with /etc/m10/m10.env", () => {
    const unit = readFileSync(join(REPO, "services/metrics-collector/systemd/m10-metrics-collector.service"), "utf8");
    expect(unit).toContain("User=m10");
    expect(unit).toContain("EnvironmentFile=/etc/m10/m10.env");
    expect(unit).toContain("ExecStart=/usr/bin/env node /opt/m10/services/metrics-collector/bin/m10-metrics-collector.js");
    expect(existsSync(join(REPO, "services/metrics-collector/bin/m10-metrics-collector.js"))).toBe(true);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).not.toMatch(/^WatchdogSec=/m);
  });
});

describe("infra/systemd/m10.env.example", () => {
  it("sets DATABASE_URL and names only variables some service reads", () => {
    const text = readFileSync(join(INFRA, "systemd/m10.env.example"), "utf8");
    const named = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? "");
    const known = new Set(
      [ingestConfigSchema, claimWorkerConfigSchema, outboxProcessorConfigSchema, orchestratorConfigSchema, metricsCollectorConfigSchema].flatMap((schema) =>
        describeEnv(schema).map((variable) => variable.name),
      ),
    );
    expect(named).toContain("DATABASE_URL");
    expect(named.filter((name) => !known.has(name))).toEqual([]);
  });
});
