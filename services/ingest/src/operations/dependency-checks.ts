// Dependency checks for /ready and /health/detailed: each with its latency, never hanging.
import { errorMessage, type Pool, redisAnswers, type RedisClient, type StreamKeys, withTimeout } from "@m10/shared";

export interface DependencyCheck {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

const elapsedMs = (start: bigint) => Math.round((Number(process.hrtime.bigint() - start) / 1e6) * 100) / 100;

export async function checkPostgres(pool: Pool, timeoutMs: number): Promise<DependencyCheck> {
  const start = process.hrtime.bigint();
  try {
    // The pool query may still be waiting for a connection after the timeout; it settles on its own.
    await withTimeout(pool.query("SELECT 1"), timeoutMs, "SELECT 1");
    return { ok: true, latency_ms: elapsedMs(start) };
  } catch (error) {
    return { ok: false, latency_ms: elapsedMs(start), error: errorMessage(error) };
  }
}

export async function checkRedis(redis: RedisClient | undefined, timeoutMs: number): Promise<DependencyCheck & { status: string }> {
  if (!redis) return { ok: false, latency_ms: 0, status: "not_configured", error: "REDIS_URL not configured" };
  const start = process.hrtime.bigint();
  const ok = await redisAnswers(redis, timeoutMs);
  return { ok, latency_ms: elapsedMs(start), status: redis.status, ...(ok ? {} : { error: `redis ${redis.status}` }) };
}

export interface QueueDepths {
  stream_key: string;
  stream_length: number | null;
  db_queue_depth: number | null;
}

export async function queueDepths(pool: Pool, redis: RedisClient | undefined, keys: StreamKeys, timeoutMs: number): Promise<QueueDepths> {
  const streamLength = async () => {
    if (!redis || redis.status !== "ready") return null;
    try {
      return await withTimeout(redis.xlen(keys.stream), timeoutMs, "XLEN");
    } catch {
      return null;
    }
  };
  const dbDepth = async () => {
    try {
      const query = pool.query<{ depth: number }>("SELECT count(*) AS depth FROM m10_recovery.work_queue WHERE processed_at IS NULL");
      const { rows } = await withTimeout(query, timeoutMs, "work_queue depth");
      return rows[0]?.depth ?? 0;
    } catch {
      return null;
    }
  };
  const [stream_length, db_queue_depth] = await Promise.all([streamLength(), dbDepth()]);
  return { stream_key: keys.stream, stream_length, db_queue_depth };
}
