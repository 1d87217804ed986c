// What every maintenance test file shares: a fresh database, a pool on it, a client on the test
// Redis and a quiet logger, set up once per file; the orchestrator's settings for them; and the
// prepared state (rows in PostgreSQL, entries in Redis) the tasks act on.
import { openTestDatabase, testStack, useEnvironment, type TestDatabase } from "@m10/devstack/testing";
import {
  createLogger,
  createPool,
  createRedisClient,
  orchestratorConfigSchema,
  parseEnv,
  type Logger,
  type OrchestratorConfig,
  type Pool,
  type RedisClient,
} from "@m10/shared";

export interface MaintenanceEnvironment {
  database: TestDatabase;
  db: Pool;
  redis: RedisClient;
  logger: Logger;
  /** The settings the orchestrator would parse from its environment, with `env` set on top. */
  config(env?: Record<string, string>): OrchestratorConfig;
}

/** Set up once per file; the fields are filled once the file's beforeAll has run. */
export function useMaintenanceEnvironment(): MaintenanceEnvironment {
  const logger = createLogger("maintenance-test", process.env.TEST_LOG_LEVEL ?? "silent");
  return useEnvironment(async (defer) => {
    let url = "";
    const config = (env: Record<string, string> = {}): OrchestratorConfig =>
      parseEnv(orchestratorConfigSchema, { DATABASE_URL: url, REDIS_URL: testStack().redisUrl, NATS_URL: testStack().natsUrl, ...env });
    const { db: database, pool: db } = await openTestDatabase(defer, (databaseUrl) => {
      url = databaseUrl;
      return createPool(config(), logger, "maintenance-test");
    });
    const redis = createRedisClient(testStack().redisUrl, { enableOfflineQueue: true });
    defer(() => redis.disconnect());
    return { database, db, redis, logger, config };
  });
}

/** A real run (not a dry one) that nobody stops. */
export function realRun(): { dryRun: false; signal: AbortSignal } {
  return { dryRun: false, signal: new AbortController().signal };
}

export async function insertCandidate(
  db: Pool,
  options: { ageSeconds?: number; evaluated?: boolean; leaseAgeSeconds?: number } = {},
): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, error_code, created_at, evaluated_at,
                                             evaluation_claimed_at, evaluation_claimed_by, decision)
     VALUES (gen_random_uuid(), 'pending evaluation', 0.2, 'TIMEOUT', now() - make_interval(secs => $1),
             CASE WHEN $2 THEN now() END,
             CASE WHEN $3::float8 IS NOT NULL THEN now() - make_interval(secs => $3::float8) END,
             CASE WHEN $3::float8 IS NOT NULL THEN 'worker-that-died' END,
             'pending')
     RETURNING id`,
    [options.ageSeconds ?? 0, options.evaluated ?? false, options.leaseAgeSeconds ?? null],
  );
  return result.rows[0]!.id;
}

export async function count(db: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return result.rows[0]!.n;
}

