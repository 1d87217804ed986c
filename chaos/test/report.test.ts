import { describe, expect, it } from "vitest";
import type { PhaseStats } from "../src/load.js";
import { answerViolations, ingestRecoverySeconds } from "../src/report.js";

const stats = (byStatus: Record<string, number>): PhaseStats => ({ sent: 0, accepted: 0, byStatus, skipped: 0, inFlightPeak: 0 });

describe("answer violations", () => {
  it("allows 503 only during a fault that allows it, and never another 5xx", () => {
    expect(answerViolations("postgres-restart", stats({ "202": 10, "503 database_unavailable": 4 }), true)).toEqual([]);
    expect(answerViolations("redis-outage", stats({ "202": 10, "503 database_unavailable": 4 }), false)).toEqual([
      "redis-outage: 4 answers 503 database_unavailable although PostgreSQL was up",
    ]);
    expect(answerViolations("postgres-restart", stats({ "500 internal_error": 1 }), true)).toEqual(["postgres-restart: 1 answers 500 internal_error"]);
  });

  it("reports requests without an answer without calling them violations: the ledger allows either outcome", () => {
    expect(answerViolations("kill-9 ingest-1", stats({ network: 3, timeout: 1 }), false)).toEqual([]);
  });
});

describe("ingest recovery time", () => {
  const startedAt = 1_000_000;
  const seconds = new Map([
    [10, { ok: 5, failed: 0 }],
    [11, { ok: 0, failed: 5 }],
    [12, { ok: 2, failed: 3 }],
    [13, { ok: 5, failed: 0 }],
  ]);

  it("is the time from the repair to the end of the last second with a failed answer", () => {
    expect(ingestRecoverySeconds(seconds, startedAt, startedAt + 10_000, startedAt + 11_500, startedAt + 20_000)).toBe(1.5);
  });

  it("is zero when nothing failed after the repair, or nothing failed at all", () => {
    expect(ingestRecoverySeconds(seconds, startedAt, startedAt + 10_000, startedAt + 14_000, startedAt + 20_000)).toBe(0);
    expect(ingestRecoverySeconds(seconds, startedAt, startedAt + 13_000, startedAt + 13_000, startedAt + 20_000)).toBe(0);
  });
});
