// The Phase 7 seed's metric names (infra/prometheus/m10_seed_metrics.yml): every PromQL query of
// the seed is one of the promtool tests, promtool passes them, and the recording rules read only
// catalogue metrics that a scraped service writes.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { metricNamesIn } from "@m10/devstack/testing";
import { metricSpecByName } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO } from "./support/prometheus.js";

const run = promisify(execFile);
const DIR = join(REPO, "infra/prometheus");

/** Every PromQL query of seed 004 (Phase 7 Operations Runbook), as written there. */
const SEED_QUERIES = [
  "rate(events_published_total[5m])",
  "consumer_lag_seconds > 60",
  "increase(events_dlq_total[10m]) > 0",
  "(events_processed_success / (events_processed_success + events_processed_failure)) * 100",
  "sum(rate(events_published_total[5m])) by (topic)",
  "max(consumer_lag_seconds) by (consumer_group)",
  "(sum(rate(events_processed_failure[5m])) / sum(rate(events_consumed_total[5m]))) * 100",
  "max(outbox_backlog)",
];

const SEED_NAMES = [
  "events_published_total",
  "events_dlq_total",
  "outbox_backlog",
  "publish_success_total",
  "publish_failure_total",
  "events_consumed_total",
  "consumer_lag_seconds",
  "events_processed_success",
  "events_processed_failure",
];

interface Rules {
  groups: { rules: { record: string; expr: string }[] }[];
}
interface RuleTests {
  tests: { promql_expr_test: { expr: string; exp_samples: unknown[] }[] }[];
}

const rules = (parse(readFileSync(join(DIR, "m10_seed_metrics.yml"), "utf8")) as Rules).groups.flatMap((group) => group.rules);
const tests = (parse(readFileSync(join(DIR, "m10_seed_metrics_test.yml"), "utf8")) as RuleTests).tests.flatMap((test) => test.promql_expr_test);

describe("the Phase 7 seed's metric names", () => {
  it("records every seed name", () => {
    expect(rules.map((rule) => rule.record).sort()).toEqual([...SEED_NAMES].sort());
  });

  it("tests every seed query, each expecting data", () => {
    for (const query of SEED_QUERIES) {
      const test = tests.find((candidate) => candidate.expr === query);
      expect(test, query).toBeDefined();
      expect(test?.exp_samples.length, query).toBeGreaterThan(0);
    }
  });

  it("passes promtool's tests", async () => {
    const { stdout } = await run("promtool", ["test", "rules", "m10_seed_metrics_test.yml"], { cwd: DIR });
    expect(stdout).toContain("SUCCESS");
  });

  it("records from catalogue metrics only, none of them renamed", () => {
    const sources = rules.flatMap((rule) => metricNamesIn(rule.expr));
    expect(sources.filter((name) => metricSpecByName(name) === undefined)).toEqual([]);
    expect(sources.filter((name) => SEED_NAMES.includes(name))).toEqual([]);
  });
});
