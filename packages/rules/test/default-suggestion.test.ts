// The suggestion text a candidate gets at ingest ("default suggestion", docs/architecture.md §4.6).
import { describe, expect, it } from "vitest";
import { defaultSuggestionFor, PENDING_EVALUATION_CONFIDENCE } from "../src/default-suggestion.js";

describe("defaultSuggestionFor", () => {
  it.each([
    ["TIMEOUT", "Increase timeout threshold or implement retry with exponential backoff"],
    ["HTTP_5XX", "Check service health, implement circuit breaker, retry with backoff"],
    ["RATE_LIMITED", "Implement rate limiting with jitter, queue requests"],
    ["BUDGET_EXCEEDED", "Check budget allocation, consider cost optimization"],
    ["PERMISSION_DENIED", "Verify credentials and permissions configuration"],
    ["PARSE_ERROR", "Validate input format, check schema compatibility"],
    ["CONNECTION_ERROR", "Check network connectivity, implement retry logic"],
    ["AUTH", "Verify authentication credentials and token expiration"],
  ])("suggests the table's text for %s", (errorType, suggestion) => {
    expect(defaultSuggestionFor(errorType)).toBe(suggestion);
  });

  it("matches case-insensitively", () => {
    expect(defaultSuggestionFor("timeout")).toBe(defaultSuggestionFor("TIMEOUT"));
  });

  it("matches an entry anywhere in the error type, not only as a prefix", () => {
    expect(defaultSuggestionFor("UPSTREAM_TIMEOUT")).toBe(defaultSuggestionFor("TIMEOUT"));
    expect(defaultSuggestionFor("OAUTH_EXPIRED")).toBe(defaultSuggestionFor("AUTH"));
  });

  it("takes the first entry in table order when several match", () => {
    expect(defaultSuggestionFor("AUTH_TIMEOUT")).toBe(defaultSuggestionFor("TIMEOUT"));
    expect(defaultSuggestionFor("PERMISSION_DENIED_AUTH")).toBe(defaultSuggestionFor("PERMISSION_DENIED"));
  });

  it("does not treat HTTP_503 as HTTP_5XX", () => {
    expect(defaultSuggestionFor("HTTP_503")).toBe(
      "Review error 'HTTP_503' and implement appropriate error handling",
    );
  });

  it("names an unknown error type in its original case", () => {
    expect(defaultSuggestionFor("Foo_Bar")).toBe("Review error 'Foo_Bar' and implement appropriate error handling");
  });

  it("handles an empty error type", () => {
    expect(defaultSuggestionFor("")).toBe("Review error '' and implement appropriate error handling");
  });

  it("pairs with the 0.2 pending-evaluation confidence", () => {
    expect(PENDING_EVALUATION_CONFIDENCE).toBe(0.2);
  });
});
