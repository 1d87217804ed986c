import { describe, expect, it } from "vitest";
import { truncateCodePoints } from "../src/index.js";

const LONE_SURROGATE = /\p{Surrogate}/u;

describe("truncateCodePoints", () => {
  it("never splits a surrogate pair, whatever the cut position", () => {
    for (const char of ["😀", "𝔘", "👩‍👩‍👧", "🇩🇪", "é"]) {
      for (let prefix = 0; prefix < 4; prefix++) {
        const text = `${"a".repeat(prefix)}${char.repeat(5)}`;
        for (let limit = 0; limit <= [...text].length + 1; limit++) {
          const cut = truncateCodePoints(text, limit);
          expect(LONE_SURROGATE.test(cut), `${text} at ${limit}`).toBe(false);
          expect([...cut]).toEqual([...text].slice(0, limit));
        }
      }
    }
  });

  it("returns short text unchanged and keeps a lone surrogate of the input as one code point", () => {
    expect(truncateCodePoints("short", 10)).toBe("short");
    expect(truncateCodePoints("a\ud800b", 2)).toBe("a\ud800");
  });
});
