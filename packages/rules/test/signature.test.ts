// Normalisation and the error signature (docs/architecture.md §4.6). Expected hashes were computed
// with the predecessor's own expression in CPython 3.11:
//   hashlib.sha256(f"{t}:{str(raw).lower().strip()[:500]}".encode()).hexdigest()[:16]
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { errorSignature, normalizeErrorMessage } from "../src/signature.js";

describe("normalizeErrorMessage", () => {
  it("lower-cases and strips surrounding whitespace", () => {
    expect(normalizeErrorMessage("  Connection TIMED OUT after 30s \n")).toBe("connection timed out after 30s");
  });

  it("keeps an empty message empty", () => {
    expect(normalizeErrorMessage("")).toBe("");
    expect(normalizeErrorMessage(" \t\r\n ")).toBe("");
  });

  it("strips the whitespace Python strips, including U+001C..U+001F, U+0085 and U+3000", () => {
    expect(normalizeErrorMessage("\x1c\x1d\x1e\x1f\x85\xa0 Service Unavailable\u3000\u2028")).toBe(
      "service unavailable",
    );
  });

  it("does not strip U+FEFF, which JS trim() would but Python does not", () => {
    expect(normalizeErrorMessage("\ufeffboom")).toBe("\ufeffboom");
  });

  it("keeps inner whitespace untouched", () => {
    expect(normalizeErrorMessage("A\t\tB")).toBe("a\t\tb");
  });

  it("truncates to 500 code points, counting an emoji as one", () => {
    const normalized = normalizeErrorMessage("😀".repeat(600));
    expect(Array.from(normalized)).toHaveLength(500);
    expect(normalized.length).toBe(1000); // UTF-16 units
  });

  it("never splits a surrogate pair at the 500th code point", () => {
    const normalized = normalizeErrorMessage(`${"a".repeat(499)}😀b`);
    expect(normalized.endsWith("😀")).toBe(true);
    expect(Array.from(normalized)).toHaveLength(500);
  });

  it("lower-cases before truncating, so U+0130 grows to two code points as in Python", () => {
    expect(normalizeErrorMessage("İstanbul")).toBe("i\u0307stanbul");
  });

  it("strips long whitespace runs in linear time", () => {
    const run = " ".repeat(300_000);
    const started = performance.now();
    const normalized = normalizeErrorMessage(`${run}x${run}y${run}`);
    const elapsedMs = performance.now() - started;
    expect(normalized === `x${" ".repeat(499)}`).toBe(true);
    expect(elapsedMs).toBeLessThan(500);
  });
});

describe("errorSignature", () => {
  it.each([
    ["TIMEOUT", "Connection timed out after 30s", "6837f520d7bd3c73"],
    ["TIMEOUT", "  Connection TIMED OUT after 30s \n", "6837f520d7bd3c73"],
    ["timeout", "Connection timed out after 30s", "7ec22404202729ab"],
    ["UNKNOWN", "", "8e3b77157d9b0fa6"],
    ["HTTP_503", "\x1c\x85 Service Unavailable\u3000", "de6782ee641b705a"],
    ["PARSE_ERROR", "İstanbul", "a1ca3108fa967d47"],
    ["RATE_LIMITED", "😀".repeat(600), "61739783d9bc25f9"],
    ["X", `${"a".repeat(499)}😀b`, "bfc4cab33b70664e"],
  ])("signs (%j, %j) as the predecessor did: %s", (errorType, raw, expected) => {
    expect(errorSignature(errorType, raw)).toBe(expected);
  });

  it("is the first 16 hex characters of SHA-256 over '<error_type>:<normalized>'", () => {
    const full = createHash("sha256").update("TIMEOUT:connection timed out after 30s").digest("hex");
    expect(errorSignature("TIMEOUT", "Connection timed out after 30s")).toBe(full.slice(0, 16));
  });

  it("keeps the error type's case, so 'timeout' and 'TIMEOUT' sign differently", () => {
    expect(errorSignature("timeout", "x")).not.toBe(errorSignature("TIMEOUT", "x"));
  });

  it("gives messages that differ only in case or surrounding whitespace the same signature", () => {
    expect(errorSignature("TIMEOUT", "Read Timeout")).toBe(errorSignature("TIMEOUT", "  read timeout\n"));
  });

  it("ignores everything after the 500th code point", () => {
    const base = "e".repeat(500);
    expect(errorSignature("E", `${base}first tail`)).toBe(errorSignature("E", `${base}other tail`));
  });

  it("is always 16 lower-case hex characters", () => {
    expect(errorSignature("", "")).toMatch(/^[0-9a-f]{16}$/);
  });
});
