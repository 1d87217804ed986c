// Versions of one aggregate (issue 11, items 1 and 2): every publish is a new version, delivered
// after the older ones of its aggregate, never merged into an event a processor holds, with a key
// of its own that stays the same across retries and replays. Real PostgreSQL, a real engine and a
// real HTTP receiver.
import { waitUntil } from "@m10/devstack/testing";
import { createLogger, createMetrics, type Pool, replayOneDeadLetter } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { drain, outboxRows, testEngine, useOutboxEnvironment, webhookRouting } from "../src/testing.js";

const AGGREGATE = "recovery_candidate";

/** publish_outbox, as every writer of the outbox calls it; returns the row id. */
async function publish(pool: Pool, eventType: string, payload: Record<string, unknown>, aggregateId = "7"): Promise<number> {
  const result = await pool.query<{ id: number }>("SELECT m10_recovery.publish_outbox($1, $2, $3, $4::jsonb) AS id", [
    AGGREGATE,
    aggregateId,
    eventType,
    JSON.stringify(payload),
  ]);
  return result.rows[0]!.id;
}

interface Received {
  key: string;
  status: number | undefined;
  type: string;
  version: number;
  data: Record<string, unknown>;
}

/** What the receiver got, in arrival order: key, answer, and the envelope's type, version and data. */
function received(requests: { key: string; status?: number; body: string }[]): Received[] {
  return requests.map((r) => {
    const envelope = JSON.parse(r.body) as { type: string; version: number; data: Record<string, unknown> };
    return { key: r.key, status: r.status, type: envelope.type, version: envelope.version, data: envelope.data };
  });
}

/** `m10ctl dlq replay outbox:<id>`: the same library call, no Redis needed for an outbox dead letter. */
function replay(pool: Pool, eventId: number) {
  return replayOneDeadLetter(
    {
      db: pool,
      redis: () => Promise.reject(new Error("no Redis needed for an outbox dead letter")),
      keys: { stream: "unused", group: "unused", deadLetter: "unused" },
      actor: "test",
      logger: createLogger("test", "silent"),
      metrics: createMetrics("m10ctl", { defaultMetrics: false }).metrics,
    },
    `outbox:${eventId}`,
    false,
  );
}

async function archivedOutboxDeadLetters(pool: Pool): Promise<number> {
  const result = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.dead_letter_archive WHERE original_msg_id LIKE 'outbox:%'");
  return result.rows[0]!.n;
}

describe("versions of one aggregate", () => {
  const t = useOutboxEnvironment();

  it("delivers `succeeded`, published while `executing` is being delivered, after it and under its own key", async () => {
    t.sink.respond = (request) => ({ status: 200, delayMs: request.attempt === 1 && t.sink.requests.length === 1 ? 1_000 : 0 });
    await publish(t.pool, "recovery.outcome_reported", { execution_status: "executing" });
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });

    const delivering = engine.runOnce();
    await waitUntil("the delivery of `executing` in flight", () => t.sink.requests.length === 1);
    await publish(t.pool, "recovery.outcome_reported", { execution_status: "succeeded" });
    expect(await delivering).toMatchObject({ claimed: 1, delivered: 1, leaseLost: 0 });
    await drain(t.pool, [engine]);

    const got = received(t.sink.requests);
    expect(got.map((r) => [r.data.execution_status, r.status])).toEqual([
      ["executing", 200],
      ["succeeded", 200],
    ]);
    expect(new Set(got.map((r) => r.key)).size).toBe(2);
    expect(got[0]!.version).toBeLessThan(got[1]!.version);
    expect((await outboxRows(t.pool)).map((r) => r.retry_count)).toEqual([0, 0]);
  });

  it("delivers approve -> reject -> approve in that order, each once, while the first approval is in flight", async () => {
    t.sink.respond = () => ({ status: 200, delayMs: t.sink.requests.length === 1 ? 1_000 : 0 });
    await publish(t.pool, "recovery.approved", { decision: "approved", n: 1 });
    // Two processors, so the later versions would be delivered at once if the claim let them.
    const first = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });
    const second = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });

    const delivering = first.runOnce();
    await waitUntil("the first approval in flight", () => t.sink.requests.length === 1);
    await publish(t.pool, "recovery.rejected", { decision: "rejected", n: 2 });
    await publish(t.pool, "recovery.approved", { decision: "approved", n: 3 });
    // While the first approval is held, nothing newer of the aggregate may be claimed.
    expect((await second.runOnce()).claimed).toBe(0);
    await delivering;
    await drain(t.pool, [first, second]);

    const got = received(t.sink.requests);
    expect(got.map((r) => [r.type, r.data.n])).toEqual([
      ["recovery.approved", 1],
      ["recovery.rejected", 2],
      ["recovery.approved", 3],
    ]);
    expect(new Set(got.map((r) => r.key)).size).toBe(3);
    expect([...t.sink.successesByKey().values()]).toEqual([1, 1, 1]);
  });

  it("keeps retry_count of a failing event when its aggregate is republished, and dead-letters nothing early", async () => {
    // The receiver fails the first two attempts; the first one is slow, so the republishes hit a claimed event.
    t.sink.respond = () => (t.sink.requests.length === 1 ? { status: 503, delayMs: 500 } : t.sink.requests.length === 2 ? { status: 503 } : { status: 200 });
    await publish(t.pool, "recovery.suggested", { n: 1 });
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });

    const failing = engine.runOnce();
    await waitUntil("the first attempt in flight", () => t.sink.requests.length === 1);
    for (let n = 2; n <= 7; n += 1) await publish(t.pool, "recovery.suggested", { n });
    expect(await failing).toMatchObject({ claimed: 1, retried: 1 });
    expect((await outboxRows(t.pool))[0]!.retry_count).toBe(1);
    await drain(t.pool, [engine]);

    expect(await archivedOutboxDeadLetters(t.pool)).toBe(0);
    const rows = await outboxRows(t.pool);
    expect(rows.map((r) => r.retry_count)).toEqual([2, 0, 0, 0, 0, 0, 0]);
    expect(rows.every((r) => r.processed_by === engine.processorId)).toBe(true);
    const got = received(t.sink.requests);
    expect(got.filter((r) => r.status === 200).map((r) => r.data.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // One key per version; the retries of the first version carry its key.
    expect(got.slice(0, 3).map((r) => r.key)).toEqual([got[0]!.key, got[0]!.key, got[0]!.key]);
    expect(new Set(got.map((r) => r.key)).size).toBe(7);
  });

  it("replays an old dead letter before the newer pending version, under the original key and version", async () => {
    // The receiver refuses the first version for good (dead letter), then accepts everything.
    let refusing = true;
    t.sink.respond = () => (refusing ? { status: 400, body: "bad" } : { status: 200 });
    const deadId = await publish(t.pool, "recovery.approved", { decision: "approved", n: 1 });
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });
    expect(await engine.runOnce()).toMatchObject({ claimed: 1, deadLettered: 1 });
    refusing = false;
    await publish(t.pool, "recovery.rejected", { decision: "rejected", n: 2 });

    expect(await replay(t.pool, deadId)).toMatchObject({ status: "replayed", kind: "outbox" });
    await drain(t.pool, [engine]);

    const got = received(t.sink.requests);
    expect(got.map((r) => [r.data.n, r.status])).toEqual([
      [1, 400],
      [1, 200],
      [2, 200],
    ]);
    // The replay is the same version as the dead letter: same key, same version number.
    expect(got[1]!.key).toBe(got[0]!.key);
    expect(got[1]!.version).toBe(got[0]!.version);
    expect(got[2]!.key).not.toBe(got[0]!.key);
    expect(got[2]!.version).toBeGreaterThan(got[0]!.version);
  });

  it("replays a dead letter under the key of its original attempts, so a receiver that applied it can tell", async () => {
    // The receiver fails the first attempt, refuses the retry for good (dead letter), then takes the replay.
    t.sink.respond = (request) => (request.attempt === 1 ? { status: 500 } : request.attempt === 2 ? { status: 400 } : { status: 200 });
    const id = await publish(t.pool, "recovery.suggested", { n: 1 });
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });
    await drain(t.pool, [engine]);
    expect(await archivedOutboxDeadLetters(t.pool)).toBe(1);

    expect(await replay(t.pool, id)).toMatchObject({ status: "replayed", kind: "outbox" });
    await drain(t.pool, [engine]);

    const got = received(t.sink.requests);
    expect(got.map((r) => r.status)).toEqual([500, 400, 200]);
    expect(new Set(got.map((r) => r.key)).size).toBe(1);
    expect(new Set(got.map((r) => r.version)).size).toBe(1);
  });
});
