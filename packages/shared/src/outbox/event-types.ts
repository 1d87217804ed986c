/** Domain events M10 itself writes to the outbox. */
export const RECOVERY_SUGGESTED = "recovery.suggested";
export const RECOVERY_ACTION_REQUESTED = "recovery.action_requested";
export const RECOVERY_APPROVED = "recovery.approved";
export const RECOVERY_REJECTED = "recovery.rejected";
export const RECOVERY_OUTCOME_REPORTED = "recovery.outcome_reported";

export const CANDIDATE_AGGREGATE = "recovery_candidate";

/** The predecessor's payload-addressed event types: `http:*`, `webhook:*`, `notify:*`. */
export const PAYLOAD_ADDRESSED_PREFIXES = ["http:", "webhook:", "notify:"] as const;
