import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it, expect } from "vitest";
import { parse, stringify } from "yaml";

const infra = (path: string): string => fileURLToPath(new URL(`../../../infra/${path}`, import.meta.url));
const PROMETHEUS_DIR = infra("prometheus");
const RULES_FILE = infra("prometheus/m10_recovery_alerts.yml");
const RULE_TESTS_FILE = infra("prometheus/alerts_test.yml");
const DLQ_RULES_FILE = infra("prometheus/m10_dlq_alerts.yml");
const DLQ_RULE_TESTS_FILE = infra("prometheus/m10_dlq_alerts_test.yml");
const DASHBOARD_DIR = infra("grafana/provisioning/dashboards/files");
const ALERTMANAGER_FILE = infra("alertmanager/alertmanager.yml");

/**
 * Runs promtool and returns its output; a non-zero exit fails the test with promtool's own
 * message. A missing promtool fails too (never skips): `make test` installs it (Debian package
 * `prometheus`), and without it the alert rules are untested.
 */
function promtool(args: string[], cwd = PROMETHEUS_DIR): string {
  try {
    return execFileSync("promtool", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; status?: number };
    if (e.code === "ENOENT") {
      throw new Error(
        "promtool is not on PATH. Install it with `apt-get install prometheus` (run by `make test`), " +
          "then re-run; the alert rules cannot be verified without it.",
      );
    }
    throw new Error(`promtool ${args.join(" ")} exited ${e.status}:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

interface RuleGroup {
  name: string;
  rules: { alert?: string; expr: string }[];
}
interface RuleTestFile {
  tests: { name?: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] | null }[] }[];
}

/** The alerts of a rules file, and those its promtool tests never fire or never keep quiet. */
function untestedAlerts(rulesFile: string, testsFile: string): { alertNames: string[]; missing: string[] } {
  const groups = (parse(readFileSync(rulesFile, "utf8")) as { groups: RuleGroup[] }).groups;
  const alertNames = groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
  const cases = (parse(readFileSync(testsFile, "utf8")) as RuleTestFile).tests.flatMap((t) => t.alert_rule_test ?? []);
  const missing: string[] = [];
  for (const name of alertNames) {
    const mine = cases.filter((c) => c.alertname === name);
    if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${name}: no firing case`);
    if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${name}: no non-firing case`);
  }
  return { alertNames, missing };
}

describe("Prometheus alert rules (promtool)", () => {
  it("promtool is installed", () => {
    expect(promtool(["--version"])).toMatch(/promtool, version/);
  });

  it("passes promtool check rules", () => {
    expect(promtool(["check", "rules", RULES_FILE])).toMatch(/SUCCESS: 9 rules found/);
  });

  it("passes its promtool unit tests (promtool test rules)", () => {
    expect(promtool(["test", "rules", RULE_TESTS_FILE])).toMatch(/SUCCESS/);
  });

  it("has, for every alert, a unit-test case that fires it and one that does not", () => {
    const { alertNames, missing } = untestedAlerts(RULES_FILE, RULE_TESTS_FILE);
    expect(alertNames).toHaveLength(9);
    expect(missing).toEqual([]);
  });

  it("the Phase 7 dead-letter alerts pass promtool check and their unit tests, each with a firing and a non-firing case", () => {
    expect(promtool(["check", "rules", DLQ_RULES_FILE])).toMatch(/SUCCESS: 3 rules found/);
    expect(promtool(["test", "rules", DLQ_RULE_TESTS_FILE])).toMatch(/SUCCESS/);
    const { alertNames, missing } = untestedAlerts(DLQ_RULES_FILE, DLQ_RULE_TESTS_FILE);
    expect(alertNames).toEqual(["M10DeadLetterFirstInWindow", "M10DeadLetterBacklogHigh", "M10EvaluationFailureRateHigh"]);
    expect(missing).toEqual([]);
  });

  it("passes promtool check config for prometheus.yml, which scrapes all five services and loads the rules", () => {
    expect(promtool(["check", "config", "prometheus.yml"])).toMatch(/SUCCESS: 9 rules found/);
    const config = parse(readFileSync(join(PROMETHEUS_DIR, "prometheus.yml"), "utf8")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      config.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]),
    );
    expect(targets).toMatchObject({
      "m10-ingest": ["localhost:8000"],
      "m10-metrics-collector": ["localhost:9100"],
      "m10-claim-worker": ["localhost:9101"],
      "m10-outbox-processor": ["localhost:9102"],
      "m10-orchestrator": ["localhost:9103"],
    });
  });

  it("accepts every query of every Grafana dashboard (M10, M7 pins, M7 RBAC) as valid PromQL", () => {
    const files = readdirSync(DASHBOARD_DIR).filter((name) => name.endsWith(".json"));
    expect(files).toEqual(expect.arrayContaining(["m10_recovery_dashboard.json", "m7_memory_pins.json", "m7_rbac_dashboard.json"]));
    const rules = files.flatMap((file) => {
      const dash = JSON.parse(readFileSync(join(DASHBOARD_DIR, file), "utf8")) as {
        panels: { id: number; targets?: { expr?: string; refId: string }[] }[];
      };
      const dashboard = file.replace(/\.json$/, "");
      return dash.panels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) => (t.expr ? [{ record: `dashboard:${dashboard}:panel_${p.id}:${t.refId}`, expr: t.expr }] : [])),
      );
    });
    expect(rules.length).toBeGreaterThan(60);
    const dir = mkdtempSync(join(tmpdir(), "m10-dashboard-promql-"));
    try {
      const file = join(dir, "dashboard_queries.yml");
      writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
      expect(promtool(["check", "rules", file], dir)).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Alertmanager routing", () => {
  interface Route {
    receiver?: string;
    matchers?: string[];
    routes?: Route[];
  }
  const config = parse(readFileSync(ALERTMANAGER_FILE, "utf8")) as {
    route: Route;
    receivers: { name: string }[];
  };
  const receivers = new Set(config.receivers.map((r) => r.name));

  /** The receiver Alertmanager picks for a label set (first matching child, depth first). */
  function routeFor(labels: Record<string, string>, route: Route = config.route, inherited?: string): string | undefined {
    const receiver = route.receiver ?? inherited;
    for (const child of route.routes ?? []) {
      const matches = (child.matchers ?? []).every((m) => {
        const [, key, op, value] = /^(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?$/.exec(m) ?? [];
        if (!key || !op) return false;
        const actual = labels[key] ?? "";
        const re = new RegExp(`^(?:${value ?? ""})$`);
        return op === "=" ? actual === value : op === "!=" ? actual !== value : op === "=~" ? re.test(actual) : !re.test(actual);
      });
      if (matches) return routeFor(labels, child, receiver);
    }
    return receiver;
  }

  it("references only defined receivers", () => {
    const walk = (r: Route): string[] => [...(r.receiver ? [r.receiver] : []), ...(r.routes ?? []).flatMap(walk)];
    for (const name of walk(config.route)) expect(receivers).toContain(name);
  });

  it("pages on-call for critical M10 alerts and notifies the team for warnings", () => {
    expect(routeFor({ component: "m10_recovery", severity: "critical", alertname: "M10QueueDepthCritical" })).toBe("m10-oncall");
    expect(routeFor({ component: "m10_recovery", severity: "warning", alertname: "M10ArchiveGrowthHigh" })).toBe("m10-team");
    expect(routeFor({ severity: "info" })).toBe("m10-team");
  });

  it("commits no webhook URL or password", () => {
    const text = readFileSync(ALERTMANAGER_FILE, "utf8");
    expect(text).not.toMatch(/hooks\.slack\.com|api_url:\s|auth_password:\s/);
  });
});
