import { describe, expect, it } from "vitest";
import { holderId } from "../src/lifecycle/index.js";
import { outboxIdempotencyKey } from "../src/outbox/index.js";
import { createHash } from "node:crypto";

describe("identities", () => {
  it("holder ids are host:pid:8-hex and differ per call", () => {
    const a = holderId("box");
    expect(a).toMatch(new RegExp(`^box:${process.pid}:[0-9a-f]{8}$`));
    expect(holderId("box")).not.toBe(a);
  });

  it("the outbox idempotency key is the first 32 hex of sha256(version:aggregate_type:aggregate_id:event_type)", () => {
    const key = outboxIdempotencyKey({ version: 42, aggregate_type: "recovery_candidate", aggregate_id: "7", event_type: "recovery.suggested" });
    expect(key).toBe(createHash("sha256").update("42:recovery_candidate:7:recovery.suggested").digest("hex").slice(0, 32));
    expect(key).toHaveLength(32);
  });
});
