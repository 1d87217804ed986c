// Reading the error type and raw message out of an ingest `failure_payload` ("failure fields", docs/architecture.md §4.6).

export const UNKNOWN_ERROR_TYPE = "UNKNOWN";

export interface FailureFields {
  errorType: string;
  raw: string;
}

/**
 * error_type, else error_code, else "UNKNOWN"; raw, else error_message, else "".
 * A key counts only when it holds a string: ingest validates the types, and the predecessor's
 * handling of other values (a 500, or the text "None") is nothing to keep.
 */
export function failureFields(payload: Readonly<Record<string, unknown>>): FailureFields {
  return {
    errorType: firstString(payload["error_type"], payload["error_code"]) ?? UNKNOWN_ERROR_TYPE,
    raw: firstString(payload["raw"], payload["error_message"]) ?? "",
  };
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === "string");
}
