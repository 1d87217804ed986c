// Candidates in the shape ingest writes ("the ingested row", docs/architecture.md §4.6), inserted with SQL.
import { defaultSuggestionFor, errorSignature, PENDING_EVALUATION_CONFIDENCE } from "@m10/rules";
import type { Queryable } from "@m10/shared";

export interface FailureSpec {
  errorCode: string;
  message?: string;
  source?: string;
  occurrenceCount?: number;
  /** recovery_candidates.tenant_id (default "default", as the built-in tokens ingest). */
  tenant?: string;
}

/** Inserts one candidate per spec, as ingest does; returns their ids in order. */
export async function insertCandidates(db: Queryable, specs: readonly FailureSpec[]): Promise<number[]> {
  const rows = specs.map((spec) => {
    const message = spec.message ?? `${spec.errorCode.toLowerCase()} while calling the tool`;
    const source = spec.source ?? "api";
    return {
      suggestion: defaultSuggestionFor(spec.errorCode),
      confidence: PENDING_EVALUATION_CONFIDENCE,
      explain: { method: "pending_evaluation", source, ingested_at: new Date().toISOString(), error_message: message },
      error_code: spec.errorCode,
      error_signature: errorSignature(spec.errorCode, message),
      source,
      occurrence_count: spec.occurrenceCount ?? 1,
      tenant_id: spec.tenant ?? "default",
    };
  });
  const result = await db.query<{ id: number }>(
    `INSERT INTO public.recovery_candidates
       (failure_match_id, suggestion, confidence, explain, created_by, error_code, error_signature, source, occurrence_count, tenant_id)
     SELECT gen_random_uuid(), r.suggestion, r.confidence, r.explain, 'ingest_api', r.error_code, r.error_signature, r.source, r.occurrence_count, r.tenant_id
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (suggestion text, confidence real, explain jsonb, error_code text,
                                                         error_signature text, source text, occurrence_count int, tenant_id text))
            WITH ORDINALITY AS r(suggestion, confidence, explain, error_code, error_signature, source, occurrence_count, tenant_id, ord)
      ORDER BY r.ord
     RETURNING id`,
    [JSON.stringify(rows)],
  );
  return result.rows.map((row) => row.id);
}

/** n candidates cycling through a few error codes. */
export function failureMix(n: number, codes: readonly string[] = ["TIMEOUT", "RATE_LIMITED", "HTTP_503", "BUDGET_EXCEEDED", "FOO"]): FailureSpec[] {
  return Array.from({ length: n }, (_, i) => ({ errorCode: codes[i % codes.length] as string, message: `failure number ${i}` }));
}

export interface EvaluationCounts {
  candidates: number;
  evaluated: number;
  leased: number;
  created: number;
  /** Candidates with more than one `created` provenance row. */
  doubleCreated: number;
  suggested: number;
  /** Candidates with more than one recovery.suggested event. */
  doubleSuggested: number;
  /** recovery.action_requested events (publish_outbox writes a new row on every publish, so a second publish shows here). */
  actionRequested: number;
}

export async function evaluationCounts(db: Queryable, ids: readonly number[]): Promise<EvaluationCounts> {
  const result = await db.query<EvaluationCounts>(
    `SELECT
       (SELECT count(*)::int FROM recovery_candidates WHERE id = ANY($1)) AS candidates,
       (SELECT count(*)::int FROM recovery_candidates WHERE id = ANY($1) AND evaluated_at IS NOT NULL) AS evaluated,
       (SELECT count(*)::int FROM recovery_candidates WHERE id = ANY($1) AND evaluation_claimed_by IS NOT NULL) AS leased,
       (SELECT count(*)::int FROM m10_recovery.suggestion_provenance WHERE suggestion_id = ANY($1) AND event_type = 'created') AS created,
       (SELECT count(*)::int FROM (SELECT suggestion_id FROM m10_recovery.suggestion_provenance
                                    WHERE suggestion_id = ANY($1) AND event_type = 'created'
                                    GROUP BY suggestion_id HAVING count(*) > 1) d) AS "doubleCreated",
       (SELECT count(*)::int FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate'
           AND aggregate_id = ANY($1::int[]::text[]) AND event_type = 'recovery.suggested') AS suggested,
       (SELECT count(*)::int FROM (SELECT aggregate_id FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate'
           AND aggregate_id = ANY($1::int[]::text[]) AND event_type = 'recovery.suggested' GROUP BY aggregate_id HAVING count(*) > 1) d) AS "doubleSuggested",
       (SELECT count(*)::int FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate'
           AND aggregate_id = ANY($1::int[]::text[]) AND event_type = 'recovery.action_requested') AS "actionRequested"`,
    [ids],
  );
  return result.rows[0] as EvaluationCounts;
}
