// The Prometheus lifecycle gate against the real Prometheus binary: /-/reload and /-/quit refused
// without the token (also under the near-miss spellings Prometheus's router would redirect),
// a reload with the token applies a changed rule file, everything else passes through.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isLifecyclePath } from "../src/prometheus-gate.js";
import { PROMETHEUS_CONFIG, REPO, startGatedPrometheus, type GatedPrometheus } from "./support/prometheus.js";

const run = promisify(execFile);
let prometheus: GatedPrometheus;
let configDir: string;

async function ruleGroups(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { name: string }[] } };
  return body.data.groups.map((group) => group.name).sort();
}

beforeAll(async () => {
  // A copy of infra/prometheus, so the reload test can change a rule file.
  configDir = mkdtempSync(join(tmpdir(), "m10-prometheus-config-"));
  cpSync(join(REPO, "infra/prometheus"), configDir, { recursive: true });
  prometheus = await startGatedPrometheus(join(configDir, "prometheus.yml"));
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe("prometheus gate", () => {
  it.each([
    ["POST", "/-/reload"],
    ["PUT", "/-/reload"],
    ["POST", "/-/quit"],
    ["POST", "//-/reload"],
    ["POST", "/-/RELOAD/"],
    ["POST", "/%2D/reload"],
    ["POST", "/-/quit?x=1"],
  ])("refuses %s %s without a token: 401 problem+json, Prometheus keeps running", async (method, path) => {
    const response = await fetch(`${prometheus.url}${path}`, { method });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(((await response.json()) as { code: string }).code).toBe("unauthenticated");
    expect((await fetch(`${prometheus.upstreamUrl}/-/healthy`)).status).toBe(200);
  });

  it("refuses a wrong token with 403 invalid_token", async () => {
    const response = await fetch(`${prometheus.url}/-/quit`, { method: "POST", headers: { authorization: "Bearer not-the-reload-token-at-all" } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("invalid_token");
    expect((await fetch(`${prometheus.upstreamUrl}/-/healthy`)).status).toBe(200);
  });

  it("reloads with the token: a rule group added to a rule file is loaded", async () => {
    const before = await ruleGroups(prometheus.url);
    expect(before.length).toBeGreaterThan(0);
    const rulesFile = join(configDir, "m10_dlq_alerts.yml");
    writeFileSync(rulesFile, `${readFileSync(rulesFile, "utf8")}\n  - name: gate-test-added\n    rules:\n      - record: gate_test:up\n        expr: up\n`);
    const response = await fetch(`${prometheus.url}/-/reload`, { method: "POST", headers: { authorization: `Bearer ${prometheus.token}` } });
    expect(response.status).toBe(200);
    expect(await ruleGroups(prometheus.url)).toEqual([...before, "gate-test-added"].sort());
  });

  it("passes queries through, GET and POST (the Grafana datasource and the runbooks' curl)", async () => {
    const get = await fetch(`${prometheus.url}/api/v1/query?query=7`);
    expect(((await get.json()) as { data: { result: [number, string] } }).data.result[1]).toBe("7");
    const post = await fetch(`${prometheus.url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query: "8" }) });
    expect(((await post.json()) as { data: { result: [number, string] } }).data.result[1]).toBe("8");
  });

  it("does not start without a long enough token (exit 2, usage on stderr)", async () => {
    const started = run(process.execPath, [join(REPO, "packages/cli/src/prometheus-gate.ts")], { env: { ...process.env, PROM_RELOAD_TOKEN: "short", PROM_GATE_LISTEN: "127.0.0.1:0" } });
    await expect(started).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("PROM_RELOAD_TOKEN") });
  });

  it("treats only the lifecycle paths as lifecycle", () => {
    expect(["/-/reload", "/-/quit", "/-/reload/x", "/%ZZ"].every(isLifecyclePath)).toBe(true);
    expect(["/-/ready", "/-/healthy", "/api/v1/query", "/graph", "/-/reloaded"].some(isLifecyclePath)).toBe(false);
  });
});

describe("rule validation: one command", () => {
  it("promtool check config validates prometheus.yml and every rule file it loads", async () => {
    const { stdout } = await run("promtool", ["check", "config", PROMETHEUS_CONFIG], { cwd: REPO });
    const ruleFiles = (parse(readFileSync(PROMETHEUS_CONFIG, "utf8")) as { rule_files: string[] }).rule_files;
    for (const file of ruleFiles) expect(stdout).toMatch(new RegExp(`Checking .*${file}\\s+SUCCESS: \\d+ rules found`));
  });

  it("every rule file in infra/prometheus is loaded by prometheus.yml (so the command checks them all)", () => {
    const ruleFiles = (parse(readFileSync(PROMETHEUS_CONFIG, "utf8")) as { rule_files: string[] }).rule_files;
    const onDisk = readdirSync(join(REPO, "infra/prometheus")).filter((name) => name.endsWith(".yml") && !name.startsWith("prometheus") && !name.endsWith("_test.yml"));
    expect([...ruleFiles].sort()).toEqual(onDisk.sort());
  });
});
