// Suggestion text for a selected action: the descriptions of the seeded `suggestion_action` rows
// (migration 018), so the text a candidate shows agrees with the action it selected.

export const ACTION_SUGGESTIONS: Readonly<Record<string, string>> = Object.freeze({
  retry_exponential: "Retry the operation with exponential backoff and jitter",
  fallback_model: "Switch to a fallback LLM model when primary fails",
  circuit_breaker: "Activate circuit breaker to prevent cascade failures",
  notify_ops: "Send alert to operations team for manual review",
  rollback_state: "Rollback agent state to last known good checkpoint",
  manual_intervention: "Flag for human operator review and decision",
  skip_task: "Skip the failed task and continue with workflow",
});

/** The seeded description of `actionCode`, or a generic sentence naming an action the seed lacks. */
export function suggestionForAction(actionCode: string): string {
  const seeded = Object.hasOwn(ACTION_SUGGESTIONS, actionCode) ? ACTION_SUGGESTIONS[actionCode] : undefined;
  return seeded ?? `Apply recovery action '${actionCode}'`;
}
