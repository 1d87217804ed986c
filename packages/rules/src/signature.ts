// Error-message normalisation and the error signature (docs/architecture.md §4.6). Shared by
// ingest (dedup key) and the historical lookup, so it must reproduce the predecessor's hashes.
import { createHash } from "node:crypto";

export const NORMALIZED_MESSAGE_MAX_CODE_POINTS = 500;
export const ERROR_SIGNATURE_HEX_LENGTH = 16;

// Python's str.strip() removes exactly the characters for which str.isspace() is true. That set
// differs from JS trim(): it adds U+001C..U+001F and U+0085 and lacks U+FEFF. All are single
// UTF-16 units. A loop rather than a regex: /\s+$/ is quadratic on long inner whitespace runs.
const PY_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

/**
 * Lower-cases, strips surrounding whitespace (Python's definition) and keeps the first 500 code
 * points, in that order, like the predecessor's `str(raw).lower().strip()[:500]`.
 */
export function normalizeErrorMessage(raw: string): string {
  const stripped = pythonStrip(raw.toLowerCase());
  return firstCodePoints(stripped, NORMALIZED_MESSAGE_MAX_CODE_POINTS);
}

/** First 16 hex characters of SHA-256 over UTF-8 "<errorType>:<normalized raw>"; errorType keeps its case. */
export function errorSignature(errorType: string, raw: string): string {
  return createHash("sha256")
    .update(`${errorType}:${normalizeErrorMessage(raw)}`, "utf8")
    .digest("hex")
    .slice(0, ERROR_SIGNATURE_HEX_LENGTH);
}

/** Truncates by code points (Python string indexing), not UTF-16 units, without copying long strings. */
function firstCodePoints(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let count = 0;
  let end = 0;
  for (const char of text) {
    if (count === limit) break;
    count += 1;
    end += char.length;
  }
  return text.slice(0, end);
}

function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start += 1;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}
