import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { waitUntil } from "@m10/devstack/testing";
import { outboxIdempotencyKey } from "@m10/shared";
import { afterEach, describe, expect, it } from "vitest";
import { drain, insertEvents, outboxRows, pendingCount, useOutboxEnvironment } from "@m10/delivery/testing";
import { startProcessor, testProcessor } from "./support/processor.js";

/** Every message of the stream, read by an ordered JetStream consumer. */
async function consumeAll(nc: NatsConnection, stream: string): Promise<{ subject: string; msgId: string | undefined; data: { id: string; outbox_id: number; type: string } }[]> {
  const consumer = await jetstream(nc).consumers.get(stream);
  const seen: { subject: string; msgId: string | undefined; data: { id: string; outbox_id: number; type: string } }[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 100, expires: 1_000 });
    let got = 0;
    for await (const message of batch) {
      got += 1;
      seen.push({ subject: message.subject, msgId: message.headers?.get("Nats-Msg-Id"), data: message.json() });
    }
    if (got === 0) return seen;
  }
}

describe("NATS JetStream target", () => {
  const t = useOutboxEnvironment({ nats: true });
  const suffix = randomBytes(4).toString("hex");
  const stream = `T_${suffix}`;
  const prefix = `t${suffix}.events`;
  const routing = { targets: { bus: { type: "nats" as const, stream, subject_prefix: prefix } }, routes: { "*": ["bus"] } };

  // The test's own stream goes before the environment closes the connection.
  afterEach(async () => {
    await jetstreamManager(t.nats).then((jsm) => jsm.streams.delete(stream)).catch(() => undefined);
  });

  it("creates the stream and publishes each event to <prefix>.<event_type> with Nats-Msg-Id = the idempotency key", async () => {
    const ids = await insertEvents(t.pool, 3, "recovery.suggested");
    const processor = testProcessor({ pool: t.pool, routing, nats: t.nats });
    await processor.start();

    expect(await processor.runOnce()).toMatchObject({ delivered: 3 });

    const messages = await consumeAll(t.nats, stream);
    expect(messages.map((m) => m.subject)).toEqual([`${prefix}.recovery.suggested`, `${prefix}.recovery.suggested`, `${prefix}.recovery.suggested`]);
    const keys = ids.map((id, i) => outboxIdempotencyKey({ version: id, aggregate_type: "test", aggregate_id: String(i + 1), event_type: "recovery.suggested" }));
    expect(messages.map((m) => m.msgId)).toEqual(keys);
    expect(messages.map((m) => m.data.outbox_id)).toEqual(ids);
  });

  it("delivers each event to the consumer once when the processor is killed between publish and completion", async () => {
    const ids = await insertEvents(t.pool, 50, "recovery.suggested");
    // Completion fails as if the process died right after publishing.
    await t.pool.query(`
      CREATE FUNCTION public.test_refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.processed_at IS NOT NULL AND OLD.processed_at IS NULL THEN
          RAISE EXCEPTION 'simulated crash between publish and completion';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_completion BEFORE UPDATE ON m10_recovery.outbox
        FOR EACH ROW EXECUTE FUNCTION public.test_refuse_completion();`);
    const first = await startProcessor(t.db.url, {
      OUTBOX_ROUTES_JSON: JSON.stringify(routing),
      M10_OUTBOX_LEASE_SECONDS: "2",
      OUTBOX_POLL_INTERVAL: "0.2",
    });
    const jsm = await jetstreamManager(t.nats);
    try {
      await waitUntil("50 published messages", async () => (await jsm.streams.info(stream).catch(() => undefined))?.state.messages === 50);
    } finally {
      expect(await first.stop("SIGKILL")).toBe("SIGKILL");
    }
    expect(await pendingCount(t.pool)).toBe(50);
    await t.pool.query("DROP TRIGGER test_refuse_completion ON m10_recovery.outbox");

    const second = testProcessor({ pool: t.pool, routing, nats: t.nats, settings: { leaseSeconds: 2 } });
    await second.start();
    await drain(t.pool, [second], 20_000);

    const rows = await outboxRows(t.pool);
    expect(rows.every((r) => r.processed_by === second.processorId && r.retry_count === 0)).toBe(true);
    expect((await jsm.streams.info(stream)).state.messages).toBe(50);
    const messages = await consumeAll(t.nats, stream);
    expect(messages).toHaveLength(50);
    expect(new Set(messages.map((m) => m.msgId)).size).toBe(50);
    expect(messages.map((m) => m.data.outbox_id).sort((a, b) => a - b)).toEqual(ids);
  });
});
