/**
 * infra/docker-compose.yml and the files it mounts, parsed and cross-checked (docs/architecture.md
 * §6 "Compose"). `make compose-check` runs the stack for real; this catches drift without Docker:
 * only keys both Compose v2 and docker-compose 1.29 accept, the stack's own servers by name, one
 * bridge network, health ports unpublished, the runbook switches from the shell, Prometheus and
 * Alertmanager configurations that match the host ones, Grafana behind a profile.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeEnv, ingestConfigSchema } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { INFRA, SERVICE_DIRS, loadYaml, type ComposeFile } from "./support/repo-files.js";

const compose = loadYaml<ComposeFile>(join(INFRA, "docker-compose.yml"));
const raw = loadYaml<Record<string, unknown>>(join(INFRA, "docker-compose.yml"));
const INFRA_SERVICES = ["postgres", "redis", "nats", "migrate", "prometheus", "prometheus-gate", "alertmanager", "alert-log", "grafana", "m10ctl"];

/** The local files a compose file refers to; relative paths resolve against infra/ (the project directory). */
function referencedFiles(file: ComposeFile): { service: string; path: string }[] {
  return Object.entries(file.services).flatMap(([service, spec]) => [
    ...(spec.build ? [{ service, path: resolve(INFRA, spec.build.context, spec.build.dockerfile) }] : []),
    ...(spec.volumes ?? [])
      .map((volume) => volume.split(":")[0] ?? "")
      .filter((source) => source.startsWith("./") || source.startsWith("../"))
      .map((source) => ({ service, path: resolve(INFRA, source) })),
  ]);
}

interface PrometheusConfig {
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[]; authorization?: unknown }[];
}

describe("infra/docker-compose.yml", () => {
  it("runs PostgreSQL, Redis, NATS, migrate, every service under services/, Prometheus, Alertmanager and its local receiver; Grafana and m10ctl behind profiles", () => {
    expect(Object.keys(compose.services).sort()).toEqual([...INFRA_SERVICES, ...SERVICE_DIRS].sort());
    expect(compose.services.grafana?.profiles).toEqual(["grafana"]);
    expect(compose.services.m10ctl?.profiles).toEqual(["tools"]);
  });

  it("uses only keys docker-compose 1.29 accepts: no top-level name, env_file as plain paths", () => {
    expect(Object.keys(raw).filter((key) => !key.startsWith("x-")).sort()).toEqual(["services", "volumes"]);
    for (const [name, service] of Object.entries(raw.services as Record<string, { env_file?: unknown }>)) {
      for (const entry of [service.env_file ?? []].flat()) expect(typeof entry, name).toBe("string");
    }
    expect(readFileSync(join(INFRA, ".env.example"), "utf8")).toMatch(/^COMPOSE_PROJECT_NAME=m10$/m);
  });

  it("one bridge network: no host networking, no fixed container names (so --scale claim-worker=3 works)", () => {
    for (const [name, service] of Object.entries(raw.services as Record<string, Record<string, unknown>>)) {
      // The lifecycle gate joins Prometheus's network namespace (Prometheus listens on its loopback).
      expect(service.network_mode, name).toBe(name === "prometheus-gate" ? "service:prometheus" : undefined);
      expect(service.container_name, name).toBeUndefined();
    }
    expect(compose.services["claim-worker"]?.ports).toBeUndefined();
  });

  it("connects every service to the stack's own servers by name, after the migration", () => {
    for (const name of SERVICE_DIRS) {
      const service = compose.services[name];
      expect(service?.build, name).toMatchObject({ context: "..", dockerfile: `services/${name}/Dockerfile` });
      expect(service?.environment, name).toMatchObject({
        DATABASE_URL: "postgres://nova:${POSTGRES_PASSWORD:-novapass}@postgres:5433/nova_aos",
        REDIS_URL: "redis://redis:6379/0",
        NATS_URL: "nats://nats:4222",
        M10_HEALTH_HOST: "0.0.0.0",
      });
      expect(service?.depends_on, name).toMatchObject({ migrate: { condition: "service_completed_successfully" }, redis: { condition: "service_healthy" } });
    }
    expect(compose.services.migrate?.command).toEqual(["node", "migrations/bin/m10-migrate.js", "up"]);
    expect(compose.services.migrate?.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(compose.services.orchestrator?.command).toEqual(["--every", "5m"]);
  });

  it("depends on NATS only where it is used (the outbox processor)", () => {
    const onNats = Object.entries(compose.services).filter(([, service]) => !Array.isArray(service.depends_on) && service.depends_on?.nats).map(([name]) => name);
    expect(onNats).toEqual(["outbox-processor"]);
  });

  it("publishes ingest's API, and the servers and consoles on loopback only; never a service's health port, nor Prometheus past its gate", () => {
    const published = Object.fromEntries(Object.entries(compose.services).map(([name, service]) => [name, service.ports ?? []]));
    expect(published.ingest).toEqual(["${M10_INGEST_PUBLISH:-8000}:8000"]);
    // Prometheus listens on loopback in its own network namespace; the gate shares that namespace,
    // so the port published there and `prometheus:9090` on the stack's network are the gate's.
    expect(compose.services.prometheus?.command).toEqual(expect.arrayContaining(["--web.listen-address=127.0.0.1:9091", "--web.enable-lifecycle"]));
    expect(published.prometheus).toEqual(["${M10_PROMETHEUS_PUBLISH:-127.0.0.1:9090}:9090"]);
    expect(published["prometheus-gate"]).toEqual([]);
    expect(compose.services["prometheus-gate"]?.environment).toMatchObject({ PROM_GATE_LISTEN: "0.0.0.0:9090", PROM_UPSTREAM_URL: "http://127.0.0.1:9091" });
    for (const name of ["postgres", "redis", "nats", "prometheus", "alertmanager", "grafana", "console"]) {
      expect(published[name]?.length, name).toBeGreaterThan(0);
      for (const port of published[name] ?? []) expect(port, name).toMatch(/^\$\{M10_[A-Z_]+_PUBLISH:-127\.0\.0\.1:\d+\}:\d+$/);
    }
    for (const name of SERVICE_DIRS.filter((service) => service !== "ingest" && service !== "console")) expect(published[name], name).toEqual([]);
  });

  it("passes ingest's tokens and the M7 runbook's switches from the shell or infra/.env, defaulting as ingest does", () => {
    const environment = compose.services.ingest?.environment ?? {};
    const defaults = Object.fromEntries(describeEnv(ingestConfigSchema).map((doc) => [doc.name, String(doc.default)]));
    for (const name of ["RBAC_ENFORCE", "MEMORY_PINS_ENABLED", "RATE_LIMIT_ENABLED", "M10_MACHINE_TOKEN_TENANTS"]) {
      expect(environment[name], name).toBe(`\${${name}:-${defaults[name]}}`);
    }
    expect(environment.M10_ADMIN_TOKEN).toBe("${M10_ADMIN_TOKEN:-}");
    expect(environment.M10_MACHINE_TOKEN).toBe("${M10_MACHINE_TOKEN:-}");
  });

  it("infra/.env.example names every variable the compose file reads", () => {
    const text = readFileSync(join(INFRA, "docker-compose.yml"), "utf8");
    const read = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?\}/g)].map((match) => match[1] ?? ""));
    const example = new Set([...readFileSync(join(INFRA, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? ""));
    expect([...read].filter((name) => !example.has(name))).toEqual([]);
  });

  it("refers only to files that exist (and the Sentinel overlay too)", () => {
    const overlay = loadYaml<ComposeFile>(join(INFRA, "redis/docker-compose.sentinel.yml"));
    const files = [...referencedFiles(compose), ...referencedFiles(overlay)];
    expect(files.filter((file) => !existsSync(file.path)).map((file) => `${file.service}: ${file.path}`)).toEqual([]);
  });

  it("the Sentinel overlay points every service at the sentinels by name and only adds Redis containers", () => {
    const overlay = loadYaml<ComposeFile>(join(INFRA, "redis/docker-compose.sentinel.yml"));
    for (const name of SERVICE_DIRS) expect(overlay.services[name]?.environment?.REDIS_URL, name).toBe("redis-sentinel://redis-sentinel-1:26379,redis-sentinel-2:26379,redis-sentinel-3:26379/m10-master");
    const added = Object.keys(overlay.services).filter((name) => !(name in compose.services));
    expect(added.sort()).toEqual(["redis-replica-1", "redis-replica-2", "redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"]);
    for (const [name, service] of Object.entries(overlay.services)) expect((service as Record<string, unknown>).network_mode, name).toBeUndefined();
  });
});

describe("the compose stack's Prometheus, Alertmanager and Grafana configurations", () => {
  const host = loadYaml<PrometheusConfig>(join(INFRA, "prometheus/prometheus.yml"));
  const stack = loadYaml<PrometheusConfig>(join(INFRA, "prometheus/prometheus.compose.yml"));

  it("Prometheus: the host configuration's jobs, rules and ports, each service found by name (every replica)", () => {
    expect(compose.services.prometheus?.command).toContain("--config.file=/etc/prometheus/prometheus.compose.yml");
    expect(stack.rule_files).toEqual(host.rule_files);
    expect(stack.scrape_configs.map((job) => job.job_name)).toEqual(host.scrape_configs.map((job) => job.job_name));
    expect(stack.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(["alertmanager:9093"]);
    for (const name of SERVICE_DIRS) {
      const environment = compose.services[name]?.environment ?? {};
      const port = Number(environment.M10_HEALTH_PORT ?? environment.PORT);
      const job = stack.scrape_configs.find((config) => config.job_name === `m10-${name}`);
      expect(job?.dns_sd_configs, name).toEqual([{ names: [name], type: "A", port }]);
      expect(host.scrape_configs.find((config) => config.job_name === `m10-${name}`)?.static_configs?.[0]?.targets, name).toEqual([`localhost:${port}`]);
    }
    expect(stack.scrape_configs.find((job) => job.job_name === "m10-ingest")?.authorization).toEqual(host.scrape_configs.find((job) => job.job_name === "m10-ingest")?.authorization);
    // Prometheus scrapes itself where it listens, 9091, behind the gate on a host as in the stack.
    expect(stack.scrape_configs.find((job) => job.job_name === "prometheus")?.static_configs).toEqual(host.scrape_configs.find((job) => job.job_name === "prometheus")?.static_configs);
  });

  it("Alertmanager: without Slack by default (the local receiver), the host configuration's routes and inhibitions, the Slack secret directory mounted", () => {
    const production = loadYaml<Record<string, unknown>>(join(INFRA, "alertmanager/alertmanager.yml"));
    const local = loadYaml<{ receivers: { name: string; webhook_configs?: { url: string }[] }[] } & Record<string, unknown>>(join(INFRA, "alertmanager/alertmanager.local.yml"));
    expect(local.route).toEqual(production.route);
    expect(local.inhibit_rules).toEqual(production.inhibit_rules);
    expect(local.receivers.map((receiver) => receiver.webhook_configs?.[0]?.url)).toEqual(["http://alert-log:9094/m10-oncall", "http://alert-log:9094/m10-team"]);
    expect(compose.services.alertmanager?.command).toContain("--config.file=/etc/alertmanager/${ALERTMANAGER_CONFIG:-alertmanager.local.yml}");
    // alertmanager.yml reads the Slack URL from /etc/alertmanager/secrets/slack_webhook_url.
    expect(JSON.stringify(production)).toContain("/etc/alertmanager/secrets/slack_webhook_url");
    expect(compose.services.alertmanager?.volumes).toContain("./alertmanager:/etc/alertmanager:ro");
    expect(existsSync(join(INFRA, "alertmanager/secrets/.gitignore"))).toBe(true);
    expect(compose.services["alert-log"]?.command).toEqual(["node", "/etc/m10/webhook-log.mjs"]);
  });

  it("Grafana: the host datasource, pointed at the stack's Prometheus", () => {
    const hostSource = readFileSync(join(INFRA, "grafana/provisioning/datasources/prometheus.yaml"), "utf8");
    const stackSource = readFileSync(join(INFRA, "grafana/compose-datasources/prometheus.yaml"), "utf8");
    const body = (text: string) => text.split("\n").filter((line) => !line.startsWith("#")).join("\n");
    expect(body(stackSource)).toBe(body(hostSource).replace("url: http://localhost:9090", "url: http://prometheus:9090"));
    expect(compose.services.grafana?.volumes).toContain("./grafana/compose-datasources:/etc/grafana/provisioning/datasources:ro");
  });
});
