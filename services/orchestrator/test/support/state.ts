// Prepared state for maintenance tests: rows in PostgreSQL and entries in Redis.
import type { Pool } from "@m10/shared";

export async function insertCandidate(
  db: Pool,
  options: { ageSeconds?: number; evaluated?: boolean; leaseAgeSeconds?: number; decision?: string } = {},
): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, error_code, created_at, evaluated_at,
                                             evaluation_claimed_at, evaluation_claimed_by, decision)
     VALUES (gen_random_uuid(), 'pending evaluation', 0.2, 'TIMEOUT', now() - make_interval(secs => $1),
             CASE WHEN $2 THEN now() END,
             CASE WHEN $3::float8 IS NOT NULL THEN now() - make_interval(secs => $3::float8) END,
             CASE WHEN $3::float8 IS NOT NULL THEN 'worker-that-died' END,
             $4)
     RETURNING id`,
    [options.ageSeconds ?? 0, options.evaluated ?? false, options.leaseAgeSeconds ?? null, options.decision ?? "pending"],
  );
  return result.rows[0]!.id;
}

export async function count(db: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return result.rows[0]!.n;
}
