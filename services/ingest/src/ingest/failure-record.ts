// What ingest stores for a failure (docs/architecture.md §4.6): error_code, the 16-hex
// signature, the default suggestion, confidence 0.2 and explain {method: "pending_evaluation"}
// plus the raw message, which the claim worker records as the error_message input.
import { defaultSuggestionFor, errorSignature, failureFields, PENDING_EVALUATION_CONFIDENCE } from "@m10/rules";
import { type IngestedCandidate, truncateCodePoints } from "@m10/shared";
import type { IngestBody } from "../schemas/ingest.js";

export const DEFAULT_SOURCE = "api";

/** The raw message is kept for the evaluation's error_message input, bounded (in code points) so a huge body cannot bloat the row. */
const STORED_MESSAGE_MAX_CODE_POINTS = 2_000;

/** The body's source: absent → "api"; an explicit null is stored as NULL (the predecessor's behaviour). */
export function sourceOf(body: Pick<IngestBody, "source">): string | null {
  return body.source === undefined ? DEFAULT_SOURCE : body.source;
}

/** The candidate ingest writes for `body`, owned by `tenantId` (the token's tenant). */
export function candidateFor(body: IngestBody, idempotencyKey: string | null, now: Date, tenantId: string): IngestedCandidate {
  const { errorType, raw } = failureFields(body.failure_payload);
  const source = sourceOf(body);
  return {
    failureMatchId: body.failure_match_id.toLowerCase(),
    errorCode: errorType,
    errorSignature: errorSignature(errorType, raw),
    suggestion: defaultSuggestionFor(errorType),
    confidence: PENDING_EVALUATION_CONFIDENCE,
    explain: { method: "pending_evaluation", source, ingested_at: now.toISOString(), error_message: truncateCodePoints(raw, STORED_MESSAGE_MAX_CODE_POINTS) },
    source,
    idempotencyKey: idempotencyKey?.toLowerCase() ?? null,
    tenantId,
  };
}
