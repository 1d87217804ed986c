// The suggestion text a candidate gets at ingest, before evaluation ("default suggestion", docs/architecture.md §4.6).

/** Checked in this order; an entry applies when the upper-cased error type contains its key. */
export const DEFAULT_SUGGESTIONS: readonly (readonly [errorTypeFragment: string, suggestion: string])[] =
  Object.freeze([
    ["TIMEOUT", "Increase timeout threshold or implement retry with exponential backoff"],
    ["HTTP_5XX", "Check service health, implement circuit breaker, retry with backoff"],
    ["RATE_LIMITED", "Implement rate limiting with jitter, queue requests"],
    ["BUDGET_EXCEEDED", "Check budget allocation, consider cost optimization"],
    ["PERMISSION_DENIED", "Verify credentials and permissions configuration"],
    ["PARSE_ERROR", "Validate input format, check schema compatibility"],
    ["CONNECTION_ERROR", "Check network connectivity, implement retry logic"],
    ["AUTH", "Verify authentication credentials and token expiration"],
  ] as const);

/** Confidence stored with the default suggestion until the candidate is evaluated. */
export const PENDING_EVALUATION_CONFIDENCE = 0.2;

export function defaultSuggestionFor(errorType: string): string {
  const upper = errorType.toUpperCase();
  // The predecessor tested startsWith OR includes, which is just includes.
  const entry = DEFAULT_SUGGESTIONS.find(([fragment]) => upper.includes(fragment));
  return entry?.[1] ?? `Review error '${errorType}' and implement appropriate error handling`;
}
