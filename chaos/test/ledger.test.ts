import { describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger.js";

describe("the ledger of what ingest answered", () => {
  it("expects exactly the confirmed occurrences of a failure when every answer was clear", () => {
    const ledger = new Ledger();
    ledger.record("a", "new", "accepted", "warm-up");
    ledger.record("a", "repeat", "duplicate", "warm-up");
    ledger.record("a", "replay", "duplicate", "warm-up");

    expect(ledger.compare(new Map([["a", 2]]))).toEqual([]);
    expect(ledger.compare(new Map([["a", 3]]))).toEqual([{ failureMatchId: "a", phase: "warm-up", expected: "2..2", found: 3 }]);
  });

  it("accepts any count within the requests left without an answer, and flags a confirmed failure that is missing", () => {
    const ledger = new Ledger();
    ledger.record("a", "new", "accepted", "redis-outage");
    ledger.record("a", "repeat", "unknown", "redis-outage");
    ledger.record("b", "new", "unknown", "kill-9 ingest-1");
    ledger.record("c", "new", "accepted", "kill-9 ingest-1");

    expect(ledger.compare(new Map([["a", 1], ["b", 1], ["c", 1]]))).toEqual([]);
    expect(ledger.compare(new Map([["a", 2]]))).toEqual([{ failureMatchId: "c", phase: "kill-9 ingest-1", expected: "1..1", found: "missing" }]);
  });

  it("counts nothing for refusals and replays, and flags a stored failure never sent", () => {
    const ledger = new Ledger();
    ledger.record("a", "new", "refused", "warm-up");
    ledger.record("b", "new", "accepted", "warm-up");
    ledger.record("b", "replay", "unknown", "warm-up");

    expect(ledger.compare(new Map([["b", 1]]))).toEqual([]);
    expect(ledger.compare(new Map([["b", 1], ["z", 1]]))).toEqual([{ failureMatchId: "z", phase: "?", expected: "never sent", found: 1 }]);
  });

  it("records answers that contradict the request: a repeat accepted as new, a new failure called a duplicate", () => {
    const ledger = new Ledger();
    ledger.record("a", "new", "duplicate", "warm-up");
    ledger.record("a", "repeat", "accepted", "warm-up");

    expect(ledger.contradictions).toEqual(["a: new answered duplicate", "a: repeat answered accepted"]);
  });
});
