// The example NATS receiver against real NATS JetStream, fed by M10's delivery engine: each event
// applied once per consumer group, also when the whole stream is replayed from its first message,
// a failed handler retried through a redelivery, a message that is not an envelope terminated.
import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { waitUntil } from "@m10/devstack/testing";
import { insertEvents, testEngine, useOutboxEnvironment } from "@m10/delivery/testing";
import { describe, expect, it } from "vitest";
import { startNatsReceiver, type M10Envelope, type NatsOutcome } from "../src/index.js";

/** A stream and subject prefix of the test's own on the shared NATS server. */
function uniqueStream(): { stream: string; prefix: string } {
  const suffix = randomBytes(4).toString("hex");
  return { stream: `M10_EVENTS_T${suffix}`, prefix: `t${suffix}.events` };
}

describe("the example NATS receiver, fed by M10's delivery engine through JetStream", () => {
  const t = useOutboxEnvironment({ nats: true });

  async function setUp() {
    const { stream, prefix } = uniqueStream();
    const jsm = await jetstreamManager(t.nats);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    const engine = testEngine({ pool: t.pool, nats: t.nats, routing: { targets: { bus: { type: "nats", stream, subject_prefix: prefix } }, routes: { "*": ["bus"] } } });
    return { stream, prefix, jsm, engine, cleanup: async () => { await engine.close(); await jsm.streams.delete(stream); } };
  }

  it("applies each event once per consumer group, also when the stream is replayed from its first message", async () => {
    const { stream, jsm, engine, cleanup } = await setUp();
    const handled: M10Envelope[] = [];
    const outcomes: NatsOutcome[] = [];
    const options = { nc: t.nats, pool: t.pool, stream, consumerGroup: "nats-example", handle: async (event: M10Envelope) => { handled.push(event); return { handled: event.outbox_id }; }, onOutcome: (o: NatsOutcome) => outcomes.push(o) };
    try {
      const ids = await insertEvents(t.pool, 3, "recovery.suggested", () => ({ suggestion: "retry" }), "nats-once");
      expect((await engine.runOnce()).delivered).toBe(3);
      let receiver = await startNatsReceiver(options);
      await waitUntil("three events processed", () => outcomes.filter((o) => o.status === "processed").length === 3);
      await receiver.close();

      // Replay from a position: the consumer group's durable consumer recreated at the first message.
      await jsm.consumers.delete(stream, receiver.durableName);
      receiver = await startNatsReceiver(options);
      await waitUntil("the replayed events recognised", () => outcomes.filter((o) => o.status === "duplicate").length === 3);
      await receiver.close();

      expect(handled.map((e) => e.outbox_id).sort()).toEqual([...ids].sort());
      const ledger = await t.pool.query<{ consumer_group: string; status: string; attempts: number }>(
        "SELECT consumer_group, status, attempts FROM public.event_ledger ORDER BY event_id",
      );
      expect(ledger.rows).toEqual(Array.from({ length: 3 }, () => ({ consumer_group: "nats-example", status: "processed", attempts: 1 })));
      const info = await jsm.consumers.info(stream, receiver.durableName);
      expect(info.num_pending + info.num_ack_pending).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it("retries a failed handler through a JetStream redelivery, and terminates a message that is not an envelope", async () => {
    const { stream, prefix, engine, cleanup } = await setUp();
    const outcomes: NatsOutcome[] = [];
    let calls = 0;
    const receiver = await startNatsReceiver({
      nc: t.nats,
      pool: t.pool,
      stream,
      consumerGroup: "nats-retry",
      retryDelayMs: 100,
      handle: async () => {
        calls += 1;
        if (calls === 1) throw new Error("downstream unavailable");
        return { ok: true };
      },
      onOutcome: (o) => outcomes.push(o),
    });
    try {
      await jetstream(t.nats).publish(`${prefix}.garbage`, "not json");
      await insertEvents(t.pool, 1, "recovery.approved", () => ({}), "nats-retry");
      expect((await engine.runOnce()).delivered).toBe(1);
      await waitUntil("the event processed after its redelivery", () => outcomes.some((o) => o.status === "processed"));
      expect(outcomes.map((o) => o.status).sort()).toEqual(["failed", "invalid", "processed"]);
      expect(outcomes.find((o) => o.status === "invalid")).toMatchObject({ subject: `${prefix}.garbage` });
      const ledger = await t.pool.query("SELECT event_type, status, attempts, error_message FROM public.event_ledger");
      expect(ledger.rows).toEqual([{ event_type: "recovery.approved", status: "processed", attempts: 2, error_message: null }]);
    } finally {
      await receiver.close();
      await cleanup();
    }
  });
});
