/**
 * docs/architecture.md §2 promise 8, "every alert can fire": each metric that an alert rule or a dashboard
 * panel uses is exported by some service. The metrics collector runs as a real process on prepared
 * state and is scraped; the other services' /metrics are their catalogue registries
 * (createMetrics(service)), which is exactly what their health servers serve.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { metricNamesIn, parseExposition, PROMETHEUS_SERIES, startService, testStack, valueOf, type Exposition } from "@m10/devstack/testing";
import { createMetrics, metricSpecByName, type ServiceName } from "@m10/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COLLECTOR_BIN, collectorEnv, useTestEnvironment } from "./support/environment.js";
import { scrapeUntil } from "./support/scrape.js";

const infra = (path: string) => fileURLToPath(new URL(`../../../infra/${path}`, import.meta.url));
const OTHER_SERVICES: ServiceName[] = ["ingest", "claim-worker", "outbox-processor", "orchestrator"];

interface Usage {
  where: string;
  name: string;
}

function alertRuleUsages(): Usage[] {
  return ["prometheus/m10_recovery_alerts.yml", "prometheus/m10_dlq_alerts.yml"].flatMap((file) => {
    const doc = parse(readFileSync(infra(file), "utf8")) as { groups: { rules: { alert?: string; expr: string }[] }[] };
    return doc.groups.flatMap((group) =>
      group.rules.flatMap((rule) => metricNamesIn(rule.expr).map((name) => ({ where: `alert ${rule.alert ?? "?"}`, name }))),
    );
  });
}

interface Panel {
  id: number;
  title: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** The metric names of every provisioned dashboard's queries (M10 and the M7 ones). */
function dashboardUsages(): Usage[] {
  const dir = infra("grafana/provisioning/dashboards/files");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(`${dir}/${file}`, "utf8")) as { panels: Panel[] };
      const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
      return panels.flatMap((panel) =>
        (panel.targets ?? []).flatMap((target) => metricNamesIn(target.expr ?? "").map((name) => ({ where: `${file} panel ${panel.id} ${panel.title}`, name }))),
      );
    });
}

/** The family a series name belongs to: histograms export name_bucket, name_sum and name_count. */
function familyOf(series: string, exposition: Exposition): string | undefined {
  if (exposition.families.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  return base !== series && exposition.families.has(base) ? base : undefined;
}

function hasSample(series: string, exposition: Exposition): boolean {
  return exposition.samples.some((sample) => sample.name === series);
}

describe("every metric used by an alert rule or the dashboard is exported (promise 8)", () => {
  const t = useTestEnvironment({ prepared: true });
  const scraped = new Map<string, Exposition>();

  // What Prometheus would scrape: the collector as a process on the prepared state, the other services' registries.
  beforeAll(async () => {
    const collector = await startService(COLLECTOR_BIN, collectorEnv(t.db.url, testStack().redisUrl, t.keys));
    try {
      scraped.set(
        "metrics-collector (process)",
        await scrapeUntil(collector.url, (e) => valueOf(e, "m10_dependency_up", { dependency: "postgres" }) === 1),
      );
    } finally {
      await collector.stop("SIGTERM");
    }
    for (const service of OTHER_SERVICES) {
      const { registry } = createMetrics(service, { defaultMetrics: false });
      scraped.set(`${service} (registry)`, parseExposition(await registry.metrics()));
    }
  });

  const exporters = (series: string) => [...scraped].filter(([, exposition]) => familyOf(series, exposition)).map(([source]) => source);

  it("every alert rule metric is exported with at least one series, so the rule can evaluate", () => {
    const usages = alertRuleUsages();
    expect(usages.length).toBeGreaterThan(10);
    const missing = usages
      .filter(({ name }) => !PROMETHEUS_SERIES.has(name))
      .filter(({ name }) => ![...scraped.values()].some((exposition) => familyOf(name, exposition) && hasSample(name, exposition)))
      .map(({ where, name }) => `${where}: ${name}`);
    expect(missing).toEqual([]);
  });

  it("every dashboard panel metric is exported by at least one service", () => {
    const usages = dashboardUsages();
    expect(usages.length).toBeGreaterThan(40);
    const missing = usages.filter(({ name }) => !PROMETHEUS_SERIES.has(name) && exporters(name).length === 0).map(({ where, name }) => `${where}: ${name}`);
    expect(missing).toEqual([]);
  });

  it("the collector's gauges used by alerts and panels come from the running collector, with values", () => {
    const collectorScrape = scraped.get("metrics-collector (process)");
    if (!collectorScrape) throw new Error("the collector was not scraped");
    const collectorNames = [...new Set([...alertRuleUsages(), ...dashboardUsages()].map((usage) => usage.name))].filter((name) =>
      metricSpecByName(name)?.services.includes("metrics-collector"),
    );
    expect(collectorNames).toContain("recovery_stream_length");
    expect(collectorNames).toContain("m10_last_collection_timestamp_seconds");
    const withoutSamples = collectorNames.filter((name) => !hasSample(name, collectorScrape));
    expect(withoutSamples).toEqual([]);
  });
});
