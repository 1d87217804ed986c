import type { Queryable } from "./pool.js";
import { isUniqueViolation } from "./errors.js";

// public.recovery_candidates as the ingest API and operators see it: the idempotent ingest upsert
// (single and batch), listing with real totals, detail with inputs and provenance, execution
// outcome reports, human decisions (with audit and provenance rows) and the stats counts.

/** The partial unique index that can raise under concurrent upserts of one failure (docs/architecture.md §4.1, decision 5). */
export const FMID_SIGNATURE_INDEX = "uq_rc_fmid_sig";
/** The unique constraints a concurrent request holding the same idempotency key can raise. */
const IDEMPOTENCY_KEY_CONSTRAINTS = ["recovery_candidates_idempotency_key_key", "recovery_candidate_idempotency_keys_pkey"];

/** A concurrent request took an idempotency key between our lookup and our write: look the key up again. */
export function isIdempotencyKeyTaken(error: unknown): boolean {
  return IDEMPOTENCY_KEY_CONSTRAINTS.some((constraint) => isUniqueViolation(error, constraint));
}
const DEADLOCK = "40P01";
const UPSERT_ATTEMPTS = 5;

export interface CandidateRow {
  id: number;
  failure_match_id: string;
  suggestion: string;
  confidence: number;
  explain: Record<string, unknown> | null;
  decision: string | null;
  occurrence_count: number;
  last_occurrence_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
  approved_by_human: string | null;
  approved_at: Date | null;
  review_note: string | null;
  error_code: string | null;
  error_signature: string | null;
  source: string | null;
  idempotency_key: string | null;
  selected_action_id: number | null;
  rules_evaluated: unknown;
  execution_status: string | null;
  executed_at: Date | null;
  execution_result: unknown;
  evaluated_at: Date | null;
  tenant_id: string;
}

const CANDIDATE_COLUMNS = `rc.id, rc.failure_match_id::text AS failure_match_id, rc.tenant_id, rc.suggestion, rc.confidence, rc.explain,
  rc.decision, rc.occurrence_count, rc.last_occurrence_at, rc.created_at, rc.updated_at, rc.approved_by_human,
  rc.approved_at, rc.review_note, rc.error_code, rc.error_signature, rc.source, rc.idempotency_key::text AS idempotency_key,
  rc.selected_action_id, rc.rules_evaluated, rc.execution_status, rc.executed_at, rc.execution_result, rc.evaluated_at`;

/** What ingest writes for a new failure ("the ingested row", docs/architecture.md §4.6). */
export interface IngestedCandidate {
  failureMatchId: string;
  errorCode: string;
  errorSignature: string;
  suggestion: string;
  confidence: number;
  explain: Record<string, unknown>;
  source: string | null;
  idempotencyKey: string | null;
  /** The tenant of the token that ingests it (docs/architecture.md §4.6). */
  tenantId: string;
}

export type IngestUpsertResult =
  /** A new row. */
  | { kind: "inserted"; id: number; failureMatchId: string; occurrenceCount: number }
  /** The failure was known: occurrence_count was incremented. */
  | { kind: "updated"; id: number; failureMatchId: string; occurrenceCount: number }
  /** The idempotency key is already held by a candidate (possibly of another failure); nothing changed. */
  | { kind: "key_exists"; id: number; failureMatchId: string; occurrenceCount: number; tenantId: string };

/** The failure_match_id belongs to another tenant's candidate: nothing changed, and its id is not told. */
export class OtherTenantsFailureError extends Error {
  constructor(readonly failureMatchId: string) {
    super(`failure_match_id ${failureMatchId} belongs to another tenant's candidate`);
    this.name = "OtherTenantsFailureError";
  }
}

interface UpsertRow {
  id: number;
  failure_match_id: string;
  occurrence_count: number;
  inserted: boolean;
  key_matched: boolean;
  tenant_id: string;
}

/**
 * The candidates that have seen a key: the keys table, and the first-key column for rows written
 * without it (by hand). `keys` is the right side of `=`: "$8::uuid" or "ANY($1::uuid[])".
 */
const keyHolders = (keys: string) => `
  SELECT rc.id, rc.failure_match_id, rc.occurrence_count, rc.idempotency_key, rc.tenant_id
    FROM public.recovery_candidates rc WHERE rc.idempotency_key = ${keys}
  UNION
  SELECT rc.id, rc.failure_match_id, rc.occurrence_count, k.idempotency_key, rc.tenant_id
    FROM public.recovery_candidate_idempotency_keys k
    JOIN public.recovery_candidates rc ON rc.id = k.candidate_id
   WHERE k.idempotency_key = ${keys}`;

/** A single ingest's conflict rule: one more occurrence, unless the row's first key is this very key or the row is another tenant's. */
const ONE_MORE_OCCURRENCE = `ON CONFLICT (failure_match_id) DO UPDATE
     SET occurrence_count = rc.occurrence_count + 1,
         last_occurrence_at = now(),
         idempotency_key = COALESCE(rc.idempotency_key, EXCLUDED.idempotency_key)
   WHERE (EXCLUDED.idempotency_key IS NULL OR rc.idempotency_key IS DISTINCT FROM EXCLUDED.idempotency_key)
     AND rc.tenant_id = EXCLUDED.tenant_id
  RETURNING rc.id, rc.failure_match_id, rc.occurrence_count, (rc.xmax = 0) AS inserted, rc.tenant_id`;

// One statement, so one transaction. A candidate that has seen the key wins (a replay changes
// nothing); otherwise insert, or count one more occurrence, and record the key as seen, so a
// second key on a known failure counts once (the IETF Idempotency-Key draft). The DO UPDATE skips
// a row whose first key is this very key (a concurrent replay committed after our snapshot): then
// nothing is returned and the caller looks the key up; a later key committed concurrently makes
// the key insert fail, which the caller treats the same way. A row without a key adopts this one.
// Another tenant's row is never updated: then nothing is returned either.
const UPSERT_ONE = `
WITH keyed AS (${keyHolders("$8::uuid")}), upserted AS (
  INSERT INTO public.recovery_candidates AS rc
         (failure_match_id, suggestion, confidence, explain, created_by, error_code, error_signature, source,
          idempotency_key, occurrence_count, last_occurrence_at, tenant_id)
  SELECT $1::uuid, $2, $3, $4::jsonb, 'ingest_api', $5, $6, $7, $8::uuid, 1, now(), $9
   WHERE NOT EXISTS (SELECT 1 FROM keyed)
  ${ONE_MORE_OCCURRENCE}
), recorded AS (
  INSERT INTO public.recovery_candidate_idempotency_keys (idempotency_key, candidate_id)
  SELECT $8::uuid, id FROM upserted WHERE $8::uuid IS NOT NULL
)
SELECT id, failure_match_id::text AS failure_match_id, occurrence_count, inserted, false AS key_matched, tenant_id FROM upserted
UNION ALL
SELECT id, failure_match_id::text, occurrence_count, false, true, tenant_id FROM keyed`;

function upsertResultOf(row: UpsertRow): IngestUpsertResult {
  const found = { id: row.id, failureMatchId: row.failure_match_id, occurrenceCount: row.occurrence_count };
  if (row.key_matched) return { kind: "key_exists", ...found, tenantId: row.tenant_id };
  return { kind: row.inserted ? "inserted" : "updated", ...found };
}

// UPSERT_ONE for many inputs in one statement (one transaction, one commit): the same per-row
// rules, rows locked in failure_match_id order. Every input needs a failure_match_id and a key of
// its own: one statement cannot insert and update a row, or record a key, twice.
const UPSERT_DISTINCT = `
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(ord integer, failure_match_id uuid, suggestion text, confidence real, explain jsonb,
         error_code text, error_signature text, source text, idempotency_key uuid, tenant_id text)
), keyed AS (
  SELECT DISTINCT ON (r.ord) r.ord, h.id, h.failure_match_id, h.occurrence_count, h.tenant_id
    FROM r CROSS JOIN LATERAL (${keyHolders("r.idempotency_key")}) h
   ORDER BY r.ord, h.id
), upserted AS (
  INSERT INTO public.recovery_candidates AS rc
         (failure_match_id, suggestion, confidence, explain, created_by, error_code, error_signature, source,
          idempotency_key, occurrence_count, last_occurrence_at, tenant_id)
  SELECT r.failure_match_id, r.suggestion, r.confidence, r.explain, 'ingest_api', r.error_code, r.error_signature, r.source,
         r.idempotency_key, 1, now(), r.tenant_id
    FROM r
   WHERE NOT EXISTS (SELECT 1 FROM keyed WHERE keyed.ord = r.ord)
   ORDER BY r.failure_match_id
  ${ONE_MORE_OCCURRENCE}
), recorded AS (
  INSERT INTO public.recovery_candidate_idempotency_keys (idempotency_key, candidate_id)
  SELECT r.idempotency_key, u.id FROM upserted u JOIN r ON r.failure_match_id = u.failure_match_id WHERE r.idempotency_key IS NOT NULL
)
SELECT r.ord, u.id, u.failure_match_id::text AS failure_match_id, u.occurrence_count, u.inserted, false AS key_matched, u.tenant_id
  FROM upserted u JOIN r ON r.failure_match_id = u.failure_match_id
UNION ALL
SELECT ord, id, failure_match_id::text, occurrence_count, false, true, tenant_id FROM keyed`;

/** An error that fails a multi-row upsert as a whole but not its inputs one by one (a race another statement won). */
export function isRowRaceError(error: unknown): boolean {
  return isUniqueViolation(error, FMID_SIGNATURE_INDEX) || (error as { code?: string }).code === DEADLOCK || isIdempotencyKeyTaken(error);
}

/**
 * Concurrent single ingests in one statement: `inputs` with distinct failure_match_ids and
 * distinct idempotency keys (the caller's job), each with upsertIngestedCandidate's semantics.
 * Result i is input i's, or undefined where the statement returned no row for it (another
 * tenant's failure, or a key replay committed concurrently): upsertIngestedCandidate sorts that
 * out. Throws what the statement throws; on isRowRaceError nothing was written, and each input
 * can go through upsertIngestedCandidate instead.
 */
export async function upsertDistinctIngestedCandidates(db: Queryable, inputs: readonly IngestedCandidate[]): Promise<(IngestUpsertResult | undefined)[]> {
  const records = JSON.stringify(
    inputs.map((input, ord) => ({
      ord,
      failure_match_id: input.failureMatchId,
      suggestion: input.suggestion,
      confidence: input.confidence,
      explain: input.explain,
      error_code: input.errorCode,
      error_signature: input.errorSignature,
      source: input.source,
      idempotency_key: input.idempotencyKey,
      tenant_id: input.tenantId,
    })),
  );
  const { rows } = await db.query<UpsertRow & { ord: number }>({ name: "m10_ingest_upsert_distinct", text: UPSERT_DISTINCT, values: [records] });
  const results: (IngestUpsertResult | undefined)[] = inputs.map(() => undefined);
  for (const row of rows) results[row.ord] = upsertResultOf(row);
  return results;
}

/**
 * The ingest upsert: ON CONFLICT (failure_match_id), occurrence_count + 1 on a repeat, and the
 * idempotency key honoured. Retries the rare unique violation on uq_rc_fmid_sig (a non-arbiter
 * index under concurrent inserts of one failure) and deadlocks. Throws OtherTenantsFailureError
 * for another tenant's failure_match_id.
 */
export async function upsertIngestedCandidate(db: Queryable, input: IngestedCandidate): Promise<IngestUpsertResult> {
  const params = [
    input.failureMatchId,
    input.suggestion,
    input.confidence,
    JSON.stringify(input.explain),
    input.errorCode,
    input.errorSignature,
    input.source,
    input.idempotencyKey,
    input.tenantId,
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      // Named: each pooled connection parses and plans the hot statement once.
      const { rows } = await db.query<UpsertRow>({ name: "m10_ingest_upsert_one", text: UPSERT_ONE, values: params });
      const row = rows[0];
      if (row) return upsertResultOf(row);
      if (await heldByOtherTenant(db, input.failureMatchId, input.tenantId)) throw new OtherTenantsFailureError(input.failureMatchId);
    } catch (error) {
      const retryable = isUniqueViolation(error, FMID_SIGNATURE_INDEX) || (error as { code?: string }).code === DEADLOCK;
      if (retryable && attempt < UPSERT_ATTEMPTS) continue;
      if (!isIdempotencyKeyTaken(error)) throw error;
    }
    // The key was taken by a concurrent request after our snapshot: report its holder.
    if (input.idempotencyKey) {
      const holder = (await findCandidatesByIdempotencyKeys(db, [input.idempotencyKey])).get(input.idempotencyKey);
      if (holder) return { kind: "key_exists", ...holder };
    }
    if (attempt >= UPSERT_ATTEMPTS) throw new Error("ingest upsert returned no row");
  }
}

async function heldByOtherTenant(db: Queryable, failureMatchId: string, tenantId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM public.recovery_candidates WHERE failure_match_id = $1::uuid AND tenant_id <> $2", [failureMatchId, tenantId]);
  return rows.length > 0;
}

export interface KeyHolder {
  id: number;
  failureMatchId: string;
  occurrenceCount: number;
  tenantId: string;
}

/** The candidates that have seen these idempotency keys (lower-case uuid text → holder). */
export async function findCandidatesByIdempotencyKeys(db: Queryable, keys: readonly string[]): Promise<Map<string, KeyHolder>> {
  const found = new Map<string, KeyHolder>();
  if (keys.length === 0) return found;
  const { rows } = await db.query<{ id: number; failure_match_id: string; occurrence_count: number; idempotency_key: string; tenant_id: string }>(
    `SELECT h.id, h.failure_match_id::text AS failure_match_id, h.occurrence_count, h.idempotency_key::text AS idempotency_key, h.tenant_id
       FROM (${keyHolders("ANY($1::uuid[])")}) h`,
    [keys],
  );
  for (const row of rows) {
    found.set(row.idempotency_key, { id: row.id, failureMatchId: row.failure_match_id, occurrenceCount: row.occurrence_count, tenantId: row.tenant_id });
  }
  return found;
}

/** One distinct failure of a batch: its first item's values, how many items count for it and the new keys they carry. */
export interface IngestedCandidateGroup extends IngestedCandidate {
  occurrences: number;
  /** Idempotency keys (lower-case) of the group's counted items, recorded as seen. */
  idempotencyKeys: string[];
}

export interface GroupUpsertResult {
  id: number;
  inserted: boolean;
  /** occurrence_count after this statement. */
  occurrenceCount: number;
}

/**
 * The batch upsert: every distinct failure in one INSERT ... SELECT FROM jsonb_to_recordset ...
 * ON CONFLICT (failure_match_id) DO UPDATE (occurrence_count + the group's occurrences), rows in
 * failure_match_id order so concurrent batches lock in the same order; each group's keys are
 * recorded as seen. Keyed by failure_match_id; a failure_match_id of another tenant's candidate is
 * left alone and absent from the result. A unique violation on an idempotency key propagates
 * (isIdempotencyKeyTaken): the caller re-reads the keys and retries.
 */
export async function upsertIngestedCandidates(db: Queryable, groups: readonly IngestedCandidateGroup[]): Promise<Map<string, GroupUpsertResult>> {
  const results = new Map<string, GroupUpsertResult>();
  if (groups.length === 0) return results;
  const records = JSON.stringify(
    groups.map((g) => ({
      failure_match_id: g.failureMatchId,
      suggestion: g.suggestion,
      confidence: g.confidence,
      explain: g.explain,
      error_code: g.errorCode,
      error_signature: g.errorSignature,
      source: g.source,
      idempotency_key: g.idempotencyKey,
      occurrences: g.occurrences,
      idempotency_keys: g.idempotencyKeys,
      tenant_id: g.tenantId,
    })),
  );
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await db.query<{ id: number; failure_match_id: string; occurrence_count: number; inserted: boolean }>(
        `WITH r AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(failure_match_id uuid, suggestion text, confidence real, explain jsonb,
                  error_code text, error_signature text, source text, idempotency_key uuid, occurrences integer, idempotency_keys uuid[],
                  tenant_id text)
         ), upserted AS (
           INSERT INTO public.recovery_candidates AS rc
                  (failure_match_id, suggestion, confidence, explain, created_by, error_code, error_signature, source,
                   idempotency_key, occurrence_count, last_occurrence_at, tenant_id)
           SELECT r.failure_match_id, r.suggestion, r.confidence, r.explain, 'ingest_api', r.error_code, r.error_signature,
                  r.source, r.idempotency_key, r.occurrences, now(), r.tenant_id
             FROM r
            ORDER BY r.failure_match_id
           ON CONFLICT (failure_match_id) DO UPDATE
              SET occurrence_count = rc.occurrence_count + EXCLUDED.occurrence_count,
                  last_occurrence_at = now(),
                  idempotency_key = COALESCE(rc.idempotency_key, EXCLUDED.idempotency_key)
            WHERE rc.tenant_id = EXCLUDED.tenant_id
           RETURNING rc.id, rc.failure_match_id, rc.occurrence_count, (rc.xmax = 0) AS inserted
         ), recorded AS (
           INSERT INTO public.recovery_candidate_idempotency_keys (idempotency_key, candidate_id)
           SELECT k.key, u.id FROM upserted u JOIN r ON r.failure_match_id = u.failure_match_id
            CROSS JOIN LATERAL unnest(r.idempotency_keys) AS k(key)
         )
         SELECT id, failure_match_id::text AS failure_match_id, occurrence_count, inserted FROM upserted`,
        [records],
      );
      for (const row of rows) {
        results.set(row.failure_match_id, { id: row.id, inserted: row.inserted, occurrenceCount: row.occurrence_count });
      }
      return results;
    } catch (error) {
      const retryable = isUniqueViolation(error, FMID_SIGNATURE_INDEX) || (error as { code?: string }).code === DEADLOCK;
      if (!retryable || attempt >= UPSERT_ATTEMPTS) throw error;
    }
  }
}

export interface CandidateFilter {
  tenantId: string;
  decision?: string;
  failureMatchId?: string;
  errorCode?: string;
  source?: string;
  since?: Date;
  limit: number;
  /** Keyset cursor: only candidates with a smaller id (the last id of the previous page). */
  beforeId?: number;
}

/** A keyset page: at most `limit` rows and whether more follow. */
export interface Page<T> {
  rows: T[];
  hasMore: boolean;
}

/** Fetched `limit + 1` rows → the page and whether more follow. */
function pageOf<T>(rows: T[], limit: number): Page<T> {
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

/**
 * A keyset page of a tenant's candidates, newest first (id DESC: ids are handed out in insertion
 * order, so a page never shifts when new rows arrive). No count(*): the cost of a page is its size.
 */
export async function listCandidates(db: Queryable, filter: CandidateFilter): Promise<Page<CandidateRow>> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace("$?", `$${params.length}`));
  };
  add("rc.tenant_id = $?", filter.tenantId);
  if (filter.decision !== undefined) add("rc.decision = $?", filter.decision);
  if (filter.failureMatchId !== undefined) add("rc.failure_match_id::text = $?", filter.failureMatchId);
  if (filter.errorCode !== undefined) add("rc.error_code = $?", filter.errorCode);
  if (filter.source !== undefined) add("rc.source = $?", filter.source);
  if (filter.since !== undefined) add("rc.created_at >= $?", filter.since);
  if (filter.beforeId !== undefined) add("rc.id < $?", filter.beforeId);
  const { rows } = await db.query<CandidateRow>(
    `SELECT ${CANDIDATE_COLUMNS} FROM public.recovery_candidates rc WHERE ${conditions.join(" AND ")}
      ORDER BY rc.id DESC LIMIT $${params.length + 1}`,
    [...params, filter.limit + 1],
  );
  return pageOf(rows, filter.limit);
}

/** The candidate, when it belongs to the tenant (another tenant's is as absent as a missing one). */
export async function getCandidate(db: Queryable, id: number, tenantId: string): Promise<CandidateRow | undefined> {
  const { rows } = await db.query<CandidateRow>(`SELECT ${CANDIDATE_COLUMNS} FROM public.recovery_candidates rc WHERE rc.id = $1 AND rc.tenant_id = $2`, [
    id,
    tenantId,
  ]);
  return rows[0];
}

export interface ActionRow {
  id: number;
  action_code: string;
  name: string;
  description: string | null;
  action_type: string;
  template: Record<string, unknown>;
  applies_to_error_codes: string[] | null;
  applies_to_skills: string[] | null;
  success_rate: number | null;
  total_applications: number | null;
  is_automated: boolean | null;
  requires_approval: boolean | null;
  priority: number | null;
  is_active: boolean | null;
}

/**
 * An action as one tenant sees it: success_rate and total_applications are that tenant's own
 * (m10_recovery.action_tenant_stats, migration 029), never another tenant's. Select it FROM
 * `actionWithTenantStats(n)`, where $n is the tenant.
 */
export const ACTION_COLUMNS = `sa.id, sa.action_code, sa.name, sa.description, sa.action_type, sa.template, sa.applies_to_error_codes,
  sa.applies_to_skills, COALESCE(ts.successful_applications::real / NULLIF(ts.total_applications, 0), 0) AS success_rate,
  COALESCE(ts.total_applications, 0) AS total_applications, sa.is_automated, sa.requires_approval, sa.priority, sa.is_active`;

export const actionWithTenantStats = (tenantParam: number) => `m10_recovery.suggestion_action sa
  LEFT JOIN m10_recovery.action_tenant_stats ts ON ts.action_id = sa.id AND ts.tenant_id = $${tenantParam}`;

export async function selectedAction(db: Queryable, actionId: number, tenantId: string): Promise<ActionRow | undefined> {
  const { rows } = await db.query<ActionRow>(`SELECT ${ACTION_COLUMNS} FROM ${actionWithTenantStats(2)} WHERE sa.id = $1`, [actionId, tenantId]);
  return rows[0];
}

export interface InputRow {
  id: number;
  input_type: string;
  raw_value: string;
  normalized_value: string | null;
  parsed_data: unknown;
  confidence: number | null;
  weight: number | null;
  source: string | null;
  created_at: Date;
}

export async function candidateInputs(db: Queryable, candidateId: number): Promise<InputRow[]> {
  const { rows } = await db.query<InputRow>(
    `SELECT id, input_type, raw_value, normalized_value, parsed_data, confidence, weight, source, created_at
       FROM m10_recovery.suggestion_input WHERE suggestion_id = $1 ORDER BY created_at, id`,
    [candidateId],
  );
  return rows;
}

export interface ProvenanceRow {
  id: number;
  event_type: string;
  details: unknown;
  rule_id: string | null;
  action_id: number | null;
  confidence_before: number | null;
  confidence_after: number | null;
  actor: string;
  actor_type: string;
  created_at: Date;
  duration_ms: number | null;
}

/** A keyset page of a candidate's provenance, oldest first (id order), after the row `afterId`. */
export async function candidateProvenance(db: Queryable, candidateId: number, page: { limit: number; afterId?: number }): Promise<Page<ProvenanceRow>> {
  const { rows } = await db.query<ProvenanceRow>(
    `SELECT id, event_type, details, rule_id, action_id, confidence_before, confidence_after, actor, actor_type, created_at, duration_ms
       FROM m10_recovery.suggestion_provenance WHERE suggestion_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [candidateId, page.afterId ?? 0, page.limit + 1],
  );
  return pageOf(rows, page.limit);
}

export type ActorType = "system" | "human" | "agent";
export type Decision = "approved" | "rejected";

export interface DecisionInput {
  candidateId: number;
  /** Only a candidate of this tenant is decided. */
  tenantId: string;
  decision: Decision;
  /** Stored as approved_by_human and as the audit/provenance actor. */
  decidedBy: string;
  note: string;
  actorType: ActorType;
  details?: Record<string, unknown>;
}

/**
 * A review decision in one statement: lock the row, set decision / approved_by_human /
 * approved_at / review_note, and write the audit row (recovery_candidates_audit) and the
 * provenance row (approved | rejected). Run it in the transaction that publishes the outbox event.
 */
export async function recordDecision(db: Queryable, input: DecisionInput): Promise<{ candidate: CandidateRow; oldDecision: string | null } | undefined> {
  const { rows } = await db.query<CandidateRow & { old_decision: string | null }>(
    `WITH old AS (
       SELECT id, decision, confidence FROM public.recovery_candidates WHERE id = $1 AND tenant_id = $7 FOR UPDATE
     ), updated AS (
       UPDATE public.recovery_candidates rc
          SET decision = $2, approved_by_human = $3, approved_at = now(), review_note = $4
         FROM old WHERE rc.id = old.id
       RETURNING ${CANDIDATE_COLUMNS}
     ), audit AS (
       INSERT INTO public.recovery_candidates_audit (candidate_id, action, actor, old_decision, new_decision, note)
       SELECT old.id, $2, $3, old.decision, $2, $4 FROM old
     ), provenance AS (
       INSERT INTO m10_recovery.suggestion_provenance
              (suggestion_id, event_type, details, confidence_before, confidence_after, actor, actor_type)
       SELECT old.id, $2, $6::jsonb, old.confidence, old.confidence, $3, $5 FROM old
     )
     SELECT updated.*, old.decision AS old_decision FROM updated, old`,
    [input.candidateId, input.decision, input.decidedBy, input.note, input.actorType, JSON.stringify({ note: input.note, ...input.details }), input.tenantId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { old_decision: oldDecision, ...candidate } = row;
  return { candidate, oldDecision };
}

export const EXECUTION_STATUSES = ["pending", "executing", "succeeded", "failed", "rolled_back", "skipped"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export interface ExecutionOutcomeInput {
  candidateId: number;
  /** Only a candidate of this tenant is updated. */
  tenantId: string;
  executionStatus?: ExecutionStatus;
  selectedActionId?: number;
  executionResult?: unknown;
  note?: string;
  actor: string;
  actorType: ActorType;
}

/** The provenance event of an outcome report (executing → executed, succeeded → success, ...). */
export function provenanceEventForStatus(status: ExecutionStatus | undefined): string {
  switch (status) {
    case "executing":
      return "executed";
    case "succeeded":
      return "success";
    case "failed":
      return "failure";
    case "rolled_back":
      return "rolled_back";
    default:
      return "manual_override";
  }
}

/**
 * An execution outcome report in one statement: lock the row, apply the given fields (executed_at
 * = now() for succeeded / failed / rolled_back) and write a provenance row. Returns the updated
 * candidate, or undefined when it does not exist. Run it in the transaction that publishes the
 * outbox event. An unknown selected_action_id raises a foreign-key violation (23503).
 */
export async function recordExecutionOutcome(db: Queryable, input: ExecutionOutcomeInput): Promise<CandidateRow | undefined> {
  const hasStatus = input.executionStatus !== undefined;
  const hasAction = input.selectedActionId !== undefined;
  const hasResult = input.executionResult !== undefined;
  const { rows } = await db.query<CandidateRow>(
    `WITH old AS (
       SELECT id, confidence, selected_action_id FROM public.recovery_candidates WHERE id = $1 AND tenant_id = $12 FOR UPDATE
     ), updated AS (
       UPDATE public.recovery_candidates rc
          SET execution_status = CASE WHEN $2::boolean THEN $3::text ELSE rc.execution_status END,
              selected_action_id = CASE WHEN $4::boolean THEN $5::integer ELSE rc.selected_action_id END,
              execution_result = CASE WHEN $6::boolean THEN $7::jsonb ELSE rc.execution_result END,
              executed_at = CASE WHEN $3::text IN ('succeeded', 'failed', 'rolled_back') THEN now() ELSE rc.executed_at END
         FROM old WHERE rc.id = old.id
       RETURNING ${CANDIDATE_COLUMNS}
     ), provenance AS (
       INSERT INTO m10_recovery.suggestion_provenance
              (suggestion_id, event_type, details, action_id, confidence_before, confidence_after, actor, actor_type)
       SELECT old.id, $8, $9::jsonb, COALESCE($5::integer, old.selected_action_id), old.confidence, old.confidence, $10, $11 FROM old
     )
     SELECT * FROM updated`,
    [
      input.candidateId,
      hasStatus,
      input.executionStatus ?? null,
      hasAction,
      input.selectedActionId ?? null,
      hasResult,
      hasResult ? JSON.stringify(input.executionResult) : null,
      provenanceEventForStatus(input.executionStatus),
      JSON.stringify({ execution_status: input.executionStatus ?? null, note: input.note ?? null }),
      input.actor,
      input.actorType,
      input.tenantId,
    ],
  );
  return rows[0];
}

export interface CandidateStats {
  total_candidates: number;
  pending: number;
  approved: number;
  rejected: number;
  awaiting_evaluation: number;
  executing: number;
  succeeded: number;
  failed: number;
}

/** Real counts over a tenant's candidates. */
export async function candidateStats(db: Queryable, tenantId: string): Promise<CandidateStats> {
  const { rows } = await db.query<CandidateStats>(
    `SELECT count(*) AS total_candidates,
            count(*) FILTER (WHERE decision = 'pending') AS pending,
            count(*) FILTER (WHERE decision = 'approved') AS approved,
            count(*) FILTER (WHERE decision = 'rejected') AS rejected,
            count(*) FILTER (WHERE evaluated_at IS NULL) AS awaiting_evaluation,
            count(*) FILTER (WHERE execution_status = 'executing') AS executing,
            count(*) FILTER (WHERE execution_status = 'succeeded') AS succeeded,
            count(*) FILTER (WHERE execution_status = 'failed') AS failed
       FROM public.recovery_candidates WHERE tenant_id = $1`,
    [tenantId],
  );
  const row = rows[0];
  if (!row) throw new Error("stats query returned no row");
  return row;
}
