// Outcomes and decisions reported through the API while an outbox processor holds the candidate's
// previous event (issue 11, item 1): each is a new version of the candidate, never merged into the
// held event, handed out only after it, under a key of its own. The processor's side is the
// claim and completion it runs (claimOutboxEvents, completeOutboxEvent) on the same database.
import { claimOutboxEvents, completeOutboxEvent, type OutboxEvent, outboxIdempotencyKey } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { bearer, FILE_TOKENS, ingestBody, useTestApp } from "./support/test-app.js";

const t = useTestApp();
// One tenant for the whole story: its agent reports, its operator decides.
const agent = bearer(FILE_TOKENS.acmeMachine.token);
const operator = bearer(FILE_TOKENS.operator.token);

async function newCandidate(): Promise<number> {
  const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: agent, payload: ingestBody() });
  expect(response.statusCode).toBe(202);
  return response.json().candidate_id as number;
}

async function patch(id: number, executionStatus: string): Promise<void> {
  const response = await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: agent, payload: { execution_status: executionStatus } });
  expect(response.statusCode, response.body).toBe(200);
}

async function decide(id: number, decision: "approved" | "rejected"): Promise<void> {
  const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/approve", headers: operator, payload: { candidate_id: id, decision } });
  expect(response.statusCode, response.body).toBe(200);
}

/** One claim as a processor runs it, narrowed to the candidate's events. */
async function claim(processor: string, id: number): Promise<OutboxEvent[]> {
  const events = await claimOutboxEvents(t.pool, processor, 100, 300);
  return events.filter((event) => event.aggregate_id === String(id));
}

async function deliver(processor: string, event: OutboxEvent): Promise<void> {
  expect(await completeOutboxEvent(t.pool, event.id, processor, { success: true })).toBe(true);
}

describe("outbox versions of a candidate", () => {
  it("hands out `succeeded`, reported while `executing` is being delivered, after it as a new version with its own key", async () => {
    const id = await newCandidate();
    await patch(id, "executing");
    const [executing] = await claim("processor-1", id);
    expect(executing?.payload).toMatchObject({ execution_status: "executing" });

    await patch(id, "succeeded");

    const held = await t.pool.query("SELECT payload->>'execution_status' AS status, retry_count FROM m10_recovery.outbox WHERE id = $1", [executing!.id]);
    expect(held.rows).toEqual([{ status: "executing", retry_count: 0 }]);
    expect(await claim("processor-2", id)).toEqual([]);
    await deliver("processor-1", executing!);
    const [succeeded] = await claim("processor-2", id);
    expect(succeeded?.payload).toMatchObject({ execution_status: "succeeded" });
    expect(succeeded!.version).toBeGreaterThan(executing!.version);
    expect(outboxIdempotencyKey(succeeded!)).not.toBe(outboxIdempotencyKey(executing!));
  });

  it("hands out approve -> reject -> approve in that order while the first approval is held, each under its own key", async () => {
    const id = await newCandidate();
    await decide(id, "approved");
    const [first] = await claim("processor-1", id);
    expect(first?.event_type).toBe("recovery.approved");

    await decide(id, "rejected");
    await decide(id, "approved");

    const handedOut: OutboxEvent[] = [first!];
    expect(await claim("processor-2", id)).toEqual([]);
    await deliver("processor-1", first!);
    for (;;) {
      const next = await claim("processor-2", id);
      if (next.length === 0) break;
      // One version of a candidate at a time.
      expect(next).toHaveLength(1);
      handedOut.push(next[0]!);
      await deliver("processor-2", next[0]!);
    }
    expect(handedOut.map((event) => [event.event_type, (event.payload as { decision: string }).decision])).toEqual([
      ["recovery.approved", "approved"],
      ["recovery.rejected", "rejected"],
      ["recovery.approved", "approved"],
    ]);
    expect(new Set(handedOut.map((event) => outboxIdempotencyKey(event))).size).toBe(3);
  });
});
