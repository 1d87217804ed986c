import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface RedisBenchmarkResult {
  command: string;
  requests_per_second: number;
  latency_ms: { p50: number; p99: number; max: number };
  clients: number;
  requests: number;
}

/** Reads redis-benchmark's --csv output: a header row, then one row per test. */
export function parseRedisBenchmarkCsv(output: string): Pick<RedisBenchmarkResult, "command" | "requests_per_second" | "latency_ms"> {
  const lines = output.trim().split("\n");
  const header = lines[0]?.split(",").map((cell) => cell.replaceAll('"', ""));
  const row = lines[1]?.split('","').map((cell) => cell.replaceAll('"', ""));
  if (!header || !row || header[0] !== "test" || header.length !== row.length) throw new Error(`unexpected redis-benchmark output:\n${output}`);
  const field = (name: string) => Number(row[header.indexOf(name)]);
  const figures = { rps: field("rps"), p50: field("p50_latency_ms"), p99: field("p99_latency_ms"), max: field("max_latency_ms") };
  if (Object.values(figures).some((value) => !Number.isFinite(value))) throw new Error(`unexpected redis-benchmark output:\n${output}`);
  return { command: row[0] as string, requests_per_second: figures.rps, latency_ms: { p50: figures.p50, p99: figures.p99, max: figures.max } };
}

/**
 * The Redis baseline of the pipeline: `redis-benchmark` XADD to a stream of its own (one entry per
 * request, no pipelining, like ingest's enqueue), about `seconds` long at ~25k requests/s; the
 * stream is deleted afterwards.
 */
export async function redisXaddBaseline(redisUrl: string, clients: number, seconds: number): Promise<RedisBenchmarkResult> {
  const url = new URL(redisUrl);
  const requests = 25_000 * seconds;
  const key = "bench:redis-benchmark:xadd";
  const auth = url.password ? ["-a", decodeURIComponent(url.password), "--no-auth-warning"] : [];
  const connection = ["-h", url.hostname, "-p", url.port || "6379", ...auth];
  const { stdout } = await run("redis-benchmark", [...connection, "-c", String(clients), "-n", String(requests), "--csv", "XADD", key, "*", "failure_match_id", "0"], {
    maxBuffer: 16 * 1024 * 1024,
  });
  await run("redis-cli", [...connection, "DEL", key]);
  return { ...parseRedisBenchmarkCsv(stdout), clients, requests };
}
