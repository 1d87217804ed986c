// The ingest use cases: one failure, or a batch of up to M10_INGEST_BATCH_MAX_ITEMS in a handful
// of statements. Only new candidates are queued for evaluation: a repeat of a known failure
// (or a replay of a key) changes its occurrence_count at most, and a candidate that was never
// evaluated is picked up by the pending_sweep task.
import {
  type EvaluationRequest,
  findCandidatesByIdempotencyKeys,
  type IngestedCandidateGroup,
  isIdempotencyKeyTaken,
  OtherTenantsFailureError,
  type Pool,
  type ServiceMetrics,
  upsertIngestedCandidates,
} from "@m10/shared";
import { FAILURE_MATCH_CONFLICT_MESSAGE, FailureMatchConflictError, IdempotencyKeyReusedError } from "../errors.js";
import type { BatchItemResult, BatchResponse, IngestBody, IngestResponse } from "../schemas/ingest.js";
import type { EvaluationEnqueuer } from "./evaluation-enqueuer.js";
import { candidateFor, sourceOf } from "./failure-record.js";
import type { ResolvedKey } from "./idempotency-key.js";
import type { SourceLabel } from "./source-label.js";
import type { UpsertCoalescer } from "./upsert-coalescer.js";

export const ACCEPTED_MESSAGE = "Failure accepted for recovery evaluation";
export const KEY_MATCHED_MESSAGE = "Idempotency key matched existing candidate";
export const occurrenceMessage = (count: number) => `Updated occurrence count to ${count}`;

const BATCH_ATTEMPTS = 3;

export interface IngestServiceDeps {
  pool: Pool;
  enqueuer: EvaluationEnqueuer;
  /** Single ingests' upserts, written together per event-loop round. */
  upserts: UpsertCoalescer;
  metrics: Pick<ServiceMetrics<"ingest">, "recoveryIngestDuplicatesTotal" | "recoveryIngestTotal">;
  sourceLabel: SourceLabel;
}

export interface IngestOutcome {
  httpStatus: 200 | 202;
  body: IngestResponse;
}

function evaluationRequest(candidateId: number, failureMatchId: string, key: string | null, source: string | null): EvaluationRequest {
  return { candidateId, idempotencyKey: key, priority: 0, metadata: { failure_match_id: failureMatchId, source } };
}

export class IngestService {
  constructor(private readonly deps: IngestServiceDeps) {}

  /** One failure for `tenantId` (the token's tenant). */
  async ingestOne(body: IngestBody, key: ResolvedKey, tenantId: string): Promise<IngestOutcome> {
    const candidate = candidateFor(body, key.key, new Date(), tenantId);
    const result = await this.deps.upserts.upsert(candidate).catch((error: unknown) => {
      throw error instanceof OtherTenantsFailureError ? new FailureMatchConflictError() : error;
    });
    if (result.kind === "key_exists") {
      // Another tenant's key is another failure: never its candidate's id.
      if (result.failureMatchId !== candidate.failureMatchId || result.tenantId !== tenantId) throw new IdempotencyKeyReusedError(key.field);
      this.deps.metrics.recoveryIngestDuplicatesTotal.inc({ detection_method: "idempotency_key" });
      return this.duplicate(result.id, candidate.failureMatchId, KEY_MATCHED_MESSAGE);
    }
    if (result.kind === "updated") {
      this.deps.metrics.recoveryIngestDuplicatesTotal.inc({ detection_method: "upsert_conflict" });
      return this.duplicate(result.id, candidate.failureMatchId, occurrenceMessage(result.occurrenceCount));
    }
    if (body.enqueue_evaluation === false) this.deps.enqueuer.skipped(1);
    else await this.deps.enqueuer.enqueue([evaluationRequest(result.id, candidate.failureMatchId, candidate.idempotencyKey, candidate.source)]);
    return {
      httpStatus: 202,
      body: { candidate_id: result.id, status: "accepted", message: ACCEPTED_MESSAGE, is_duplicate: false, failure_match_id: candidate.failureMatchId },
    };
  }

  private duplicate(id: number, failureMatchId: string, message: string): IngestOutcome {
    return { httpStatus: 200, body: { candidate_id: id, status: "duplicate", message, is_duplicate: true, failure_match_id: failureMatchId } };
  }

  /**
   * Items in request order, with the single route's semantics: a key already held (in the
   * database or by an earlier item) replays its candidate or, for another failure, rejects the
   * item (idempotency_key_reused); the other items are grouped by failure_match_id and upserted
   * in one statement, the first item of a new failure being "accepted" and the rest duplicates.
   * Items with a lone surrogate (index → the field, from the route) are rejected (invalid_unicode).
   */
  async ingestBatch(items: readonly IngestBody[], tenantId: string, illFormed: ReadonlyMap<number, string> = new Map()): Promise<BatchResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ingestBatchOnce(items, tenantId, illFormed);
      } catch (error) {
        // A concurrent request took one of our keys between the lookup and the upsert: look again.
        if (!isIdempotencyKeyTaken(error) || attempt >= BATCH_ATTEMPTS) throw error;
      }
    }
  }

  private async ingestBatchOnce(items: readonly IngestBody[], tenantId: string, illFormed: ReadonlyMap<number, string>): Promise<BatchResponse> {
    const now = new Date();
    const candidates = items.map((item, index) => (illFormed.has(index) ? undefined : candidateFor(item, item.idempotency_key ?? null, now, tenantId)));
    const keys = [...new Set(candidates.flatMap((c) => (c?.idempotencyKey ? [c.idempotencyKey] : [])))];
    const holders = await findCandidatesByIdempotencyKeys(this.deps.pool, keys);

    type Plan =
      | { kind: "rejected" }
      | { kind: "ill_formed"; field: string }
      | { kind: "key_replay"; failureMatchId: string }
      | { kind: "grouped"; failureMatchId: string; ordinal: number };
    // Another tenant's key is another failure's (its candidate is never named): "\u0000" matches no id.
    const claimedKeys = new Map<string, string>([...holders].map(([key, holder]) => [key, holder.tenantId === tenantId ? holder.failureMatchId : "\u0000"]));
    const groups = new Map<string, IngestedCandidateGroup>();
    const plans: Plan[] = candidates.map((candidate, index) => {
      if (!candidate) return { kind: "ill_formed", field: illFormed.get(index) as string };
      const key = candidate.idempotencyKey;
      const claimedBy = key ? claimedKeys.get(key) : undefined;
      if (claimedBy !== undefined) {
        return claimedBy === candidate.failureMatchId ? { kind: "key_replay", failureMatchId: claimedBy } : { kind: "rejected" };
      }
      if (key) claimedKeys.set(key, candidate.failureMatchId);
      const group = groups.get(candidate.failureMatchId);
      if (group) {
        group.occurrences++;
        if (key) group.idempotencyKeys.push(key);
        return { kind: "grouped", failureMatchId: candidate.failureMatchId, ordinal: group.occurrences };
      }
      groups.set(candidate.failureMatchId, { ...candidate, occurrences: 1, idempotencyKeys: key ? [key] : [] });
      return { kind: "grouped", failureMatchId: candidate.failureMatchId, ordinal: 1 };
    });

    const upserted = await upsertIngestedCandidates(this.deps.pool, [...groups.values()]);
    const idOf = (failureMatchId: string) => upserted.get(failureMatchId)?.id ?? [...holders.values()].find((h) => h.failureMatchId === failureMatchId)?.id;

    const toEnqueue: EvaluationRequest[] = [];
    let skipped = 0;
    const response: BatchResponse = { accepted: 0, duplicates: 0, rejected: 0, results: [] };
    // Counted per (status, source) and written once each after the loop.
    const counts = new Map<string, { status: "accepted" | "duplicate" | "error"; source: string; count: number }>();
    const count = (status: "accepted" | "duplicate" | "error", source: string) => {
      const key = `${status}\u0000${source}`;
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { status, source, count: 1 });
    };
    let keyReplays = 0;
    let conflicts = 0;
    plans.forEach((plan, index) => {
      const item = items[index] as IngestBody;
      const candidate = candidates[index];
      const failureMatchId = candidate?.failureMatchId ?? item.failure_match_id;
      const label = this.deps.sourceLabel.of(sourceOf(item));
      let result: BatchItemResult;
      const reject = (code: string, message: string): BatchItemResult => {
        response.rejected++;
        count("error", label);
        return { index, status: "rejected", candidate_id: null, is_duplicate: false, failure_match_id: failureMatchId, message, code };
      };
      if (plan.kind === "ill_formed") {
        result = reject("invalid_unicode", `${plan.field} holds a lone surrogate (not valid Unicode)`);
      } else if (plan.kind === "rejected") {
        result = reject("idempotency_key_reused", "This idempotency key was already used for a different failure_match_id");
      } else if (plan.kind === "key_replay") {
        response.duplicates++;
        count("duplicate", label);
        keyReplays++;
        result = { index, status: "duplicate", candidate_id: idOf(plan.failureMatchId) ?? null, is_duplicate: true, failure_match_id: failureMatchId, message: KEY_MATCHED_MESSAGE };
      } else if (!upserted.has(plan.failureMatchId)) {
        // The upsert leaves another tenant's candidate alone and returns no row for it.
        result = reject("failure_match_id_conflict", FAILURE_MATCH_CONFLICT_MESSAGE);
      } else {
        const row = upserted.get(plan.failureMatchId);
        const group = groups.get(plan.failureMatchId);
        if (!row || !group) throw new Error(`batch upsert returned no row for ${plan.failureMatchId}`);
        // The count this item brought the candidate to.
        const occurrences = row.occurrenceCount - group.occurrences + plan.ordinal;
        if (row.inserted && plan.ordinal === 1) {
          response.accepted++;
          count("accepted", label);
          if (item.enqueue_evaluation === false) skipped++;
          else toEnqueue.push(evaluationRequest(row.id, plan.failureMatchId, group.idempotencyKey, group.source));
          result = { index, status: "accepted", candidate_id: row.id, is_duplicate: false, failure_match_id: failureMatchId, message: ACCEPTED_MESSAGE };
        } else {
          response.duplicates++;
          count("duplicate", label);
          conflicts++;
          result = { index, status: "duplicate", candidate_id: row.id, is_duplicate: true, failure_match_id: failureMatchId, message: occurrenceMessage(occurrences) };
        }
      }
      response.results.push(result);
    });
    for (const entry of counts.values()) this.deps.metrics.recoveryIngestTotal.inc({ status: entry.status, source: entry.source }, entry.count);
    if (keyReplays > 0) this.deps.metrics.recoveryIngestDuplicatesTotal.inc({ detection_method: "idempotency_key" }, keyReplays);
    if (conflicts > 0) this.deps.metrics.recoveryIngestDuplicatesTotal.inc({ detection_method: "upsert_conflict" }, conflicts);
    this.deps.enqueuer.skipped(skipped);
    await this.deps.enqueuer.enqueue(toEnqueue);
    return response;
  }
}
