// Issue 3's benchmark: autocannon against single and batch ingest on a fresh stack, with a pgbench
// single-row upsert baseline measured in the same run.
import autocannon from "autocannon";
import { failure, startIngest, TOKEN } from "./ingest-service.js";
import { pgbenchUpsert } from "./pgbench.js";
import { cpuMs, watchRss } from "./proc.js";
import { freshStack } from "./stack.js";
import { round } from "./stats.js";

interface LoadFigures {
  requests_per_second: number;
  items_per_second: number;
  latency_ms: { p50: number; p99: number; p99_9: number; max: number };
  errors: number;
  non_2xx: number;
  total_requests: number;
}

async function load(url: string, body: () => string, itemsPerRequest: number, seconds: number, connections: number): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    method: "POST",
    connections,
    duration: seconds,
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    requests: [{ method: "POST", setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  return {
    requests_per_second: round(result.requests.average),
    items_per_second: round(result.requests.average * itemsPerRequest),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, p99_9: result.latency.p99_9, max: result.latency.max },
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx,
    total_requests: result.requests.total,
  };
}

export async function ingestBench(seconds: number): Promise<Record<string, unknown>> {
  const env = await freshStack();
  try {
    const baseline = await pgbenchUpsert(env.databaseUrl, 16, seconds);
    const ingest = await startIngest(env);
    try {
      const pid = ingest.child.pid ?? 0;
      let i = 0;
      const rssSingle = watchRss(pid);
      const cpuBeforeSingle = cpuMs(pid);
      const single = await load(`${ingest.url}/api/v1/recovery/ingest`, () => JSON.stringify(failure(i++)), 1, seconds, 32);
      const singlePeak = rssSingle.stop();
      const singleCpuMs = cpuMs(pid) - cpuBeforeSingle;
      const batchSize = 500;
      const rssBatch = watchRss(pid);
      const cpuBeforeBatch = cpuMs(pid);
      const batch = await load(
        `${ingest.url}/api/v1/recovery/ingest/batch`,
        () => JSON.stringify({ items: Array.from({ length: batchSize }, () => failure(i++)) }),
        batchSize,
        seconds,
        4,
      );
      const batchPeak = rssBatch.stop();
      const batchCpuMs = cpuMs(pid) - cpuBeforeBatch;
      return {
        pgbench_upsert_baseline: baseline,
        // CPU the ingest process spent per request / per item: steadier than req/s on a shared machine.
        single_ingest: { ...single, connections: 32, ingest_cpu_ms_per_request: round(singleCpuMs / Math.max(1, single.total_requests), 3) },
        batch_ingest: {
          ...batch,
          batch_size: batchSize,
          connections: 4,
          ingest_cpu_ms_per_item: round(batchCpuMs / Math.max(1, batch.total_requests * batchSize), 4),
        },
        single_vs_pgbench_ratio: round(single.requests_per_second / baseline.tps, 3),
        ingest_peak_rss_mb: round(Math.max(singlePeak, batchPeak), 1),
        ingest_peak_rss_mb_by_phase: { single: round(singlePeak, 1), batch: round(batchPeak, 1) },
        targets: { single_ratio_min: 0.5, single_p99_ms_max: 25, batch_items_per_second_min: 50_000, rss_mb_max: 200 },
      };
    } finally {
      await ingest.stop("SIGTERM");
    }
  } finally {
    await env.close();
  }
}
