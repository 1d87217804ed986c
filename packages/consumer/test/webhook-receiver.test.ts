import { randomBytes } from "node:crypto";
import { insertEvents, outboxRows, testEngine, useOutboxEnvironment, webhookRouting } from "@m10/delivery/testing";
import { describe, expect, it } from "vitest";
import { startWebhookReceiver, type M10Envelope } from "../src/index.js";

const secret = () => `whsec_${randomBytes(24).toString("base64")}`;

describe("the example webhook receiver, fed by M10's delivery engine", () => {
  const t = useOutboxEnvironment();

  it("verifies the signature and applies each event once, also when the processor delivers it again after a crash before completion", async () => {
    const key = secret();
    const handled: M10Envelope[] = [];
    const receiver = await startWebhookReceiver({
      pool: t.pool,
      secret: key,
      consumerGroup: "example-receiver",
      handle: async (event) => {
        handled.push(event);
        return { handled: event.type };
      },
    });
    try {
      const [id] = await insertEvents(t.pool, 1, "recovery.suggested", () => ({ suggestion: "retry", confidence: 0.9 }), "consumer-once");
      const engine = testEngine({ pool: t.pool, routing: webhookRouting(receiver.url, { secret: key }) });
      try {
        expect((await engine.runOnce()).delivered).toBe(1);
        // The processor died between the receiver's 200 and its completion: the event is delivered again.
        await t.pool.query("UPDATE m10_recovery.outbox SET processed_at = NULL, processed_by = NULL WHERE id = $1", [id]);
        expect((await engine.runOnce()).delivered).toBe(1);
      } finally {
        await engine.close();
      }

      expect(handled).toHaveLength(1);
      expect(handled[0]).toMatchObject({ type: "recovery.suggested", outbox_id: id, version: id, aggregate_type: "consumer-once", data: { suggestion: "retry", confidence: 0.9 } });
      const ledger = await t.pool.query("SELECT event_id, event_type, consumer_group, status, attempts, result FROM public.event_ledger");
      expect(ledger.rows).toEqual([{ event_id: handled[0]?.id, event_type: "recovery.suggested", consumer_group: "example-receiver", status: "processed", attempts: 1, result: { handled: "recovery.suggested" } }]);
      expect((await outboxRows(t.pool))[0]?.processed_at).toBeInstanceOf(Date);
    } finally {
      await receiver.close();
    }
  });

  it("answers 503 while its handler fails, so the processor retries, and the retry is applied once", async () => {
    const key = secret();
    let calls = 0;
    const receiver = await startWebhookReceiver({
      pool: t.pool,
      secret: key,
      consumerGroup: "example-receiver",
      handle: async (_event, client) => {
        calls += 1;
        await client.query("SELECT 1");
        if (calls === 1) throw new Error("the receiver's store is down");
        return "ok";
      },
    });
    try {
      await insertEvents(t.pool, 1, "recovery.action_requested", () => ({ action: "retry_exponential" }), "consumer-retry");
      const engine = testEngine({ pool: t.pool, routing: webhookRouting(receiver.url, { secret: key }) });
      try {
        const first = await engine.runOnce();
        expect(first.delivered).toBe(0);
        const [failed] = await outboxRows(t.pool);
        expect(failed?.retry_count).toBe(1);
        expect(failed?.last_error).toMatch(/503/);
        const ledger = await t.pool.query("SELECT status, attempts, error_message FROM public.event_ledger");
        expect(ledger.rows).toEqual([{ status: "failed", attempts: 1, error_message: "the receiver's store is down" }]);

        await t.pool.query("UPDATE m10_recovery.outbox SET next_retry_at = now(), process_after = now()");
        expect((await engine.runOnce()).delivered).toBe(1);
      } finally {
        await engine.close();
      }
      expect(calls).toBe(2);
      const ledger = await t.pool.query("SELECT status, attempts FROM public.event_ledger");
      expect(ledger.rows).toEqual([{ status: "processed", attempts: 2 }]);
    } finally {
      await receiver.close();
    }
  });

  it("refuses a delivery signed with another secret and an unsigned request with 401 problem+json, and runs nothing", async () => {
    let calls = 0;
    const receiver = await startWebhookReceiver({ pool: t.pool, secret: secret(), consumerGroup: "example-receiver", handle: async () => (calls += 1) });
    try {
      await insertEvents(t.pool, 1, "recovery.suggested", () => ({}), "consumer-forged");
      const engine = testEngine({ pool: t.pool, routing: webhookRouting(receiver.url, { secret: secret() }) });
      try {
        expect((await engine.runOnce()).delivered).toBe(0);
      } finally {
        await engine.close();
      }
      expect((await outboxRows(t.pool))[0]?.last_error).toMatch(/401/);

      const unsigned = await fetch(receiver.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "recovery.suggested", id: "forged" }) });
      expect(unsigned.status).toBe(401);
      expect(unsigned.headers.get("content-type")).toBe("application/problem+json");
      expect(await unsigned.json()).toMatchObject({ status: 401, code: "missing_headers" });

      expect(calls).toBe(0);
      expect((await t.pool.query("SELECT count(*)::int AS n FROM public.event_ledger")).rows[0]).toEqual({ n: 0 });
    } finally {
      await receiver.close();
    }
  });
});
