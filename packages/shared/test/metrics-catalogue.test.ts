import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { metricNamesIn, PROMETHEUS_SERIES } from "@m10/devstack/testing";
import { describe, it, expect } from "vitest";
import { parse } from "yaml";
import {
  METRICS,
  METRIC_NAMES,
  SERVICES,
  metricSpecByName,
  metricsWrittenBy,
  type MetricKind,
  type MetricSpec,
} from "../src/observability/catalogue.js";
import { createMetrics, knownLabelCombinations } from "../src/observability/metrics.js";

const infra = (path: string): string => fileURLToPath(new URL(`../../../infra/${path}`, import.meta.url));
const RULES_FILE = infra("prometheus/m10_recovery_alerts.yml");
const DASHBOARD_DIR = infra("grafana/provisioning/dashboards/files");
const DASHBOARD_FILE = `${DASHBOARD_DIR}/m10_recovery_dashboard.json`;
const M7_DASHBOARDS = ["m7_memory_pins.json", "m7_rbac_dashboard.json"];

/**
 * The contract: the predecessor's alerts (docs/architecture.md §4.5) with the handbook's thresholds
 * (docs/runbooks/M10_PROD_HANDBOOK.md, "Alert Thresholds (PIN-058)"), groups, `for` and severity.
 */
const INHERITED_ALERTS = [
  { alert: "M10QueueDepthCritical", group: "m10_queue_critical", for: "5m", severity: "critical", threshold: "> 5000" },
  { alert: "M10NoStreamConsumers", group: "m10_queue_critical", for: "5m", severity: "critical", threshold: "== 0" },
  { alert: "M10OutboxPendingCritical", group: "m10_outbox_critical", for: "10m", severity: "critical", threshold: "> 1000" },
  { alert: "M10OutboxLagHigh", group: "m10_outbox_critical", for: "5m", severity: "critical", threshold: "> 300" },
  { alert: "M10DeadLetterCritical", group: "m10_dead_letter_critical", for: "15m", severity: "critical", threshold: "> 100" },
  { alert: "M10MatviewVeryStale", group: "m10_matview_critical", for: "5m", severity: "critical", threshold: "> 3600" },
  { alert: "M10WorkerNoActivity", group: "m10_worker_critical", for: "10m", severity: "critical", threshold: "> 10" },
  { alert: "M10ArchiveGrowthHigh", group: "m10_data_growth", for: "1h", severity: "warning", threshold: "> 10000" },
  { alert: "M10MetricsCollectorDown", group: "m10_collector_health", for: "5m", severity: "critical", threshold: "> 120" },
] as const;

/**
 * The contract: every M10 metric of the predecessor (docs/architecture.md §4.5) with its type and
 * labels, the two names its alerts used without defining them, and M10's
 * m10_last_collection_timestamp_seconds.
 */
const CONTRACT_METRICS: readonly { name: string; kind: MetricKind; labels: readonly string[] }[] = [
  ...[
    "recovery_stream_length", "recovery_stream_pending", "recovery_stream_consumers", "recovery_db_queue_depth",
    "recovery_db_queue_stalled", "recovery_candidates_pending", "recovery_dead_letter_length",
    "recovery_evaluation_queue_depth", "m10_archive_size", "m10_replay_log_size", "m10_outbox_pending",
    "m10_outbox_lag_seconds", "m10_queue_depth", "m10_dead_letter_count", "m10_matview_age_seconds",
    "m10_consumer_count", "m10_reclaim_count", "m10_replay_log_count", "m10_last_collection_timestamp",
    "m10_last_collection_timestamp_seconds",
  ].map((name) => ({ name, kind: "gauge" as const, labels: [] })),
  { name: "recovery_matview_age_seconds", kind: "gauge", labels: ["view_name"] },
  { name: "recovery_matview_last_refresh_timestamp", kind: "gauge", labels: ["view_name"] },
  { name: "m10_lock_active", kind: "gauge", labels: ["lock_name"] },
  { name: "recovery_suggestions_total", kind: "counter", labels: ["source", "decision"] },
  { name: "recovery_approvals_total", kind: "counter", labels: ["decision"] },
  { name: "recovery_ingest_total", kind: "counter", labels: ["status", "source"] },
  { name: "recovery_ingest_duplicates_total", kind: "counter", labels: ["detection_method"] },
  { name: "recovery_ingest_enqueue_total", kind: "counter", labels: ["status"] },
  { name: "recovery_worker_claimed_total", kind: "counter", labels: ["source"] },
  { name: "recovery_worker_processed_total", kind: "counter", labels: ["status", "source"] },
  { name: "recovery_matview_refresh_total", kind: "counter", labels: ["view_name", "status"] },
  { name: "recovery_dead_letter_added_total", kind: "counter", labels: ["reason"] },
  { name: "recovery_dead_letter_replayed_total", kind: "counter", labels: [] },
  { name: "m10_lock_acquired_total", kind: "counter", labels: ["lock_name"] },
  { name: "m10_lock_failed_total", kind: "counter", labels: ["lock_name"] },
  { name: "m10_lock_released_total", kind: "counter", labels: ["lock_name"] },
  { name: "m10_archive_total", kind: "counter", labels: ["source"] },
  { name: "m10_archive_retention_deleted_total", kind: "counter", labels: [] },
  { name: "m10_replay_log_retention_deleted_total", kind: "counter", labels: [] },
  { name: "m10_outbox_published_total", kind: "counter", labels: ["aggregate_type", "event_type"] },
  { name: "m10_outbox_processed_total", kind: "counter", labels: ["aggregate_type", "event_type"] },
  { name: "m10_outbox_failed_total", kind: "counter", labels: ["aggregate_type", "event_type"] },
  { name: "m10_reclaim_gc_cleaned_total", kind: "counter", labels: [] },
  { name: "m10_reclaim_gc_checked_total", kind: "counter", labels: [] },
  { name: "recovery_suggestions_latency_seconds", kind: "histogram", labels: [] },
  { name: "recovery_ingest_latency_seconds", kind: "histogram", labels: ["status"] },
  { name: "recovery_worker_processing_seconds", kind: "histogram", labels: [] },
  { name: "recovery_matview_refresh_duration_seconds", kind: "histogram", labels: ["view_name"] },
  { name: "m10_lock_duration_seconds", kind: "histogram", labels: ["lock_name"] },
  { name: "m10_outbox_processing_seconds", kind: "histogram", labels: ["event_type"] },
  { name: "m10_outbox_retry_count", kind: "histogram", labels: [] },
  { name: "memory_pins_operations_total", kind: "counter", labels: ["operation", "status"] },
  { name: "memory_pins_latency_seconds", kind: "histogram", labels: ["operation"] },
];

/** Scraped services (prometheus.yml); m10ctl is short-lived and never scraped. */
const SCRAPED_SERVICES = ["ingest", "claim-worker", "outbox-processor", "orchestrator", "metrics-collector"];

/** The catalogue entry a series name belongs to (histogram series carry _bucket/_sum/_count). */
function catalogueEntryFor(series: string): MetricSpec | undefined {
  const direct = metricSpecByName(series);
  if (direct) return direct;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  const spec = metricSpecByName(base);
  return spec?.kind === "histogram" ? spec : undefined;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

function loadRules(): RuleGroup[] {
  const doc = parse(readFileSync(RULES_FILE, "utf8")) as { groups: RuleGroup[] };
  return doc.groups;
}

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

function loadDashboardPanels(file = DASHBOARD_FILE): DashboardPanel[] {
  const dash = JSON.parse(readFileSync(file, "utf8")) as { panels: DashboardPanel[] };
  return dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

function dashboardExprs(file = DASHBOARD_FILE): { panel: string; expr: string }[] {
  return loadDashboardPanels(file).flatMap((p) =>
    (p.targets ?? []).flatMap((t) => (t.expr ? [{ panel: `${p.id} ${p.title}`, expr: t.expr }] : [])),
  );
}

/** Each query's metric names that are neither Prometheus's own nor in the catalogue for a scraped service. */
function uncataloguedMetrics(exprs: { panel: string; expr: string }[]): { problems: string[]; seen: Set<string> } {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { panel, expr } of exprs) {
    for (const name of metricNamesIn(expr)) {
      seen.add(name);
      if (PROMETHEUS_SERIES.has(name)) continue;
      const spec = catalogueEntryFor(name);
      if (!spec) problems.push(`panel ${panel}: ${name} is not in the catalogue`);
      else if (!spec.services.some((s) => SCRAPED_SERVICES.includes(s))) problems.push(`panel ${panel}: ${name} is written by no scraped service`);
    }
  }
  return { problems, seen };
}

describe("metrics catalogue", () => {
  const specs = Object.values(METRICS) as MetricSpec[];

  it("has unique metric names", () => {
    const dupes = METRIC_NAMES.filter((n, i) => METRIC_NAMES.indexOf(n) !== i);
    expect(dupes).toEqual([]);
  });

  it("contains every predecessor metric with its type and labels", () => {
    const problems: string[] = [];
    for (const c of CONTRACT_METRICS) {
      const spec = metricSpecByName(c.name);
      if (!spec) problems.push(`${c.name}: missing`);
      else {
        if (spec.kind !== c.kind) problems.push(`${c.name}: kind ${spec.kind}, contract ${c.kind}`);
        if (spec.labelNames.join(",") !== c.labels.join(","))
          problems.push(`${c.name}: labels [${spec.labelNames.join(",")}], contract [${c.labels.join(",")}]`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("follows Prometheus naming and label rules", () => {
    const problems: string[] = [];
    for (const s of specs) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(s.name)) problems.push(`${s.name}: invalid name`);
      if (s.kind === "counter" && !s.name.endsWith("_total")) problems.push(`${s.name}: counter without _total`);
      if (s.kind !== "counter" && s.name.endsWith("_total")) problems.push(`${s.name}: ${s.kind} named _total`);
      if (s.help.trim().length < 10) problems.push(`${s.name}: help too short`);
      if (s.services.length === 0) problems.push(`${s.name}: written by no service`);
      if (new Set(s.services).size !== s.services.length) problems.push(`${s.name}: duplicate service`);
      for (const l of s.labelNames) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith("__")) problems.push(`${s.name}: bad label ${l}`);
        if (["job", "instance"].includes(l)) problems.push(`${s.name}: label ${l} clashes with target labels`);
        if (s.kind === "histogram" && l === "le") problems.push(`${s.name}: histogram label le`);
      }
      if (new Set(s.labelNames).size !== s.labelNames.length) problems.push(`${s.name}: duplicate label`);
      for (const l of Object.keys(s.labelValues ?? {}))
        if (!s.labelNames.includes(l)) problems.push(`${s.name}: labelValues for unknown label ${l}`);
      if (s.kind === "histogram") {
        const b = s.buckets ?? [];
        if (b.length === 0) problems.push(`${s.name}: histogram without buckets`);
        if (b.some((v, i) => i > 0 && v <= (b[i - 1] ?? -Infinity))) problems.push(`${s.name}: buckets not ascending`);
      } else if (s.buckets) problems.push(`${s.name}: buckets on a ${s.kind}`);
    }
    expect(problems).toEqual([]);
  });

  it("lists only known services", () => {
    for (const s of specs) for (const svc of s.services) expect(SERVICES).toContain(svc);
  });
});

describe("alert rules file", () => {
  const groups = loadRules();
  const alerts = groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));

  it("defines every predecessor alert with its group, for, severity and threshold", () => {
    for (const c of INHERITED_ALERTS) {
      const rule = alerts.find((a) => a.alert === c.alert);
      expect(rule, c.alert).toBeDefined();
      expect(rule?.group, c.alert).toBe(c.group);
      expect(rule?.for, c.alert).toBe(c.for);
      expect(rule?.labels?.severity, c.alert).toBe(c.severity);
      expect(rule?.labels?.component, c.alert).toBe("m10_recovery");
      expect(rule?.labels?.team, c.alert).toBe("platform");
      expect(rule?.expr.replace(/\s+/g, " "), c.alert).toContain(c.threshold);
      for (const key of ["summary", "description", "runbook"]) expect(rule?.annotations?.[key], `${c.alert} ${key}`).toBeTruthy();
    }
  });

  it("has unique alert and group names", () => {
    const names = alerts.map((a) => a.alert ?? a.record);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const groupNames = groups.map((g) => g.name);
    expect(groupNames.filter((n, i) => groupNames.indexOf(n) !== i)).toEqual([]);
  });

  it("uses the fixed expressions of docs/architecture.md §4.5", () => {
    const expr = (name: string) => alerts.find((a) => a.alert === name)?.expr ?? "";
    expect(expr("M10MetricsCollectorDown")).toContain('up{job="m10-metrics-collector"}');
    expect(expr("M10MetricsCollectorDown")).toContain("m10_last_collection_timestamp_seconds");
    // Label sets must match: aggregate both sides and join with on().
    expect(expr("M10WorkerNoActivity")).toMatch(/\bon\(\)/);
  });

  it("uses only catalogue metrics, each written by a scraped service", () => {
    const used = alerts.flatMap((a) => metricNamesIn(a.expr).map((name) => ({ where: a.alert, name })));
    expect(used.map((u) => u.name)).toContain("recovery_worker_claimed_total");
    const problems: string[] = [];
    for (const { where, name } of used) {
      if (PROMETHEUS_SERIES.has(name)) continue;
      const spec = catalogueEntryFor(name);
      if (!spec) problems.push(`${where}: ${name} is not in the catalogue`);
      else if (!spec.services.some((s) => SCRAPED_SERVICES.includes(s)))
        problems.push(`${where}: ${name} is written by no scraped service`);
    }
    expect(problems).toEqual([]);
  });
});

describe("Grafana dashboard", () => {
  it("keeps the predecessor's rows and 40 panels", () => {
    const panels = loadDashboardPanels();
    expect(panels).toHaveLength(40);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(panels.filter((p) => p.type === "row").map((p) => p.title).sort()).toEqual(
      [
        "Overview", "Ingest", "Queue", "Worker", "Suggestions & Matview", "Alerts", "Distributed Locks", "Outbox",
        "Archive & Retention",
      ].sort(),
    );
  });

  it("uses only catalogue metrics, each written by a scraped service", () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(40);
    const { problems, seen } = uncataloguedMetrics(exprs);
    expect(problems).toEqual([]);
    expect(seen).toContain("recovery_ingest_latency_seconds_bucket");
    expect(seen).toContain("m10_lock_active");
  });
});

describe("M7 Grafana dashboards (memory pins, RBAC)", () => {
  it("are provisioned next to the M10 dashboard, each with a uid of its own and unique panel ids", () => {
    expect(readdirSync(DASHBOARD_DIR).sort()).toEqual(expect.arrayContaining(M7_DASHBOARDS));
    const uids = M7_DASHBOARDS.map((file) => (JSON.parse(readFileSync(`${DASHBOARD_DIR}/${file}`, "utf8")) as { uid: string }).uid);
    expect(uids).toEqual(["m7-memory-pins", "m7-rbac"]);
    for (const file of M7_DASHBOARDS) {
      const ids = loadDashboardPanels(`${DASHBOARD_DIR}/${file}`).map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
    }
  });

  it("use only catalogue metrics written by ingest: pin operations and latency, RBAC decisions, audit drops, rate-limit rejections and fail-opens", () => {
    const seen = new Set<string>();
    for (const file of M7_DASHBOARDS) {
      const result = uncataloguedMetrics(dashboardExprs(`${DASHBOARD_DIR}/${file}`));
      expect(result.problems, file).toEqual([]);
      for (const name of result.seen) seen.add(name);
    }
    expect([...seen].sort()).toEqual([
      "m10_rate_limit_blocked_total",
      "m10_rate_limit_fail_open_total",
      "m10_rbac_audit_dropped_total",
      "memory_pins_latency_seconds_bucket",
      "memory_pins_operations_total",
      "rbac_decisions_total",
    ]);
    const pinLatency = dashboardExprs(`${DASHBOARD_DIR}/m7_memory_pins.json`).find(({ panel }) => panel.includes("Pin latency p95"));
    expect(pinLatency?.expr).toContain("histogram_quantile(0.95");
  });
});

describe("metric name extraction", () => {
  it("ignores functions, keywords, label names, label values and ranges", () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum(rate(m10_lock_duration_seconds_bucket{lock_name="a b",x=~"up|foo"}[5m])) by (le, lock_name)) ' +
          "unless on() (time() - m10_last_collection_timestamp_seconds offset 5m) > 1e3 or absent(up{job=\"j\"})",
      ).sort(),
    ).toEqual(["m10_last_collection_timestamp_seconds", "m10_lock_duration_seconds_bucket", "up"]);
  });
});

describe("createMetrics", () => {
  it("registers exactly the catalogue metrics the service writes, plus default metrics", async () => {
    for (const service of SERVICES) {
      const { registry, metrics } = createMetrics(service);
      const expected = metricsWrittenBy(service).map((s) => s.name).sort();
      const registered = registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .filter((n) => METRIC_NAMES.includes(n as never))
        .sort();
      expect(registered, service).toEqual(expected);
      expect(Object.keys(metrics).length, service).toBe(expected.length);
      expect(registry.getMetricsAsArray().some((m) => m.name === "process_cpu_user_seconds_total")).toBe(true);
      await registry.metrics(); // renders without throwing
    }
  });

  it("creates instruments of the catalogue kind, with its buckets", async () => {
    const { registry, metrics } = createMetrics("claim-worker", { defaultMetrics: false });
    metrics.recoveryWorkerClaimedTotal.inc({ source: "redis_stream" }, 5);
    metrics.recoveryWorkerProcessingSeconds.observe(0.003);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE recovery_worker_claimed_total counter");
    expect(text).toContain('recovery_worker_claimed_total{source="redis_stream"} 5');
    expect(text).toContain("# TYPE recovery_worker_processing_seconds histogram");
    expect(text).toContain('recovery_worker_processing_seconds_bucket{le="0.005"} 1');
    expect(text).not.toContain("recovery_ingest_total");
  });

  it("zero-initialises counters whose label values are all known, so rate() sees them before the first event", async () => {
    const { registry } = createMetrics("claim-worker", { defaultMetrics: false });
    const text = await registry.metrics();
    expect(text).toContain('recovery_worker_claimed_total{source="db_queue"} 0');
    expect(text).toContain('recovery_worker_processed_total{status="failed",source="redis_stream"} 0');
    expect(knownLabelCombinations(METRICS.recoveryWorkerProcessedTotal)).toHaveLength(6);
    expect(knownLabelCombinations(METRICS.recoveryIngestTotal)).toEqual([]); // source is open-ended
  });

  it("does not pre-set gauges", async () => {
    const { registry } = createMetrics("metrics-collector", { defaultMetrics: false });
    expect(await registry.metrics()).not.toMatch(/^m10_dependency_up\{/m);
  });

  it("exports m10_build_info 1 in every service, labelled with the release version, M10_REVISION and the Node version", async () => {
    const previous = process.env.M10_REVISION;
    process.env.M10_REVISION = "abc1234";
    try {
      for (const service of SERVICES.filter((name) => name !== "m10ctl")) {
        const { registry } = createMetrics(service, { defaultMetrics: false });
        expect(await registry.metrics(), service).toContain(`m10_build_info{version="0.1.0",revision="abc1234",node_version="${process.version}"} 1`);
      }
    } finally {
      if (previous === undefined) delete process.env.M10_REVISION;
      else process.env.M10_REVISION = previous;
    }
  });

  it("keeps registries of different services apart", async () => {
    const a = createMetrics("ingest", { defaultMetrics: false });
    const b = createMetrics("ingest", { defaultMetrics: false });
    a.metrics.recoveryIngestTotal.inc({ status: "accepted", source: "api" });
    expect(await b.registry.metrics()).not.toContain('recovery_ingest_total{status="accepted",source="api"} 1');
  });

  it("rejects an unknown service", () => {
    expect(() => createMetrics("nope" as never)).toThrow(/unknown service/);
  });
});
