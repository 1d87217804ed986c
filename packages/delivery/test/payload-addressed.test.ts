import { describe, expect, it } from "vitest";
import { insertEvents, outboxRows, testEngine, useOutboxEnvironment } from "../src/testing.js";
import type { RoutingFile } from "../src/routing.js";

// docs/architecture.md §4.6: http:*, webhook:* and notify:* carry their destination in the payload.
const noRoutes: RoutingFile = { targets: {}, routes: {} };
const noThrottle: RoutingFile = { ...noRoutes, defaults: { webhook: { rpm: 0 }, slack: { rpm: 0 } } };

describe("payload-addressed event types", () => {
  const t = useOutboxEnvironment();

  it("sends http:* to the payload's url with its method, headers, body and Idempotency-Key", async () => {
    const [id] = await insertEvents(t.pool, 1, "http:callback", () => ({ url: `${t.sink.url}/cb`, method: "put", headers: { "X-Custom": "yes" }, body: { ok: true } }));
    const engine = testEngine({ pool: t.pool, routing: noThrottle });

    expect(await engine.runOnce()).toMatchObject({ delivered: 1 });

    const [request] = t.sink.requests;
    expect(request).toMatchObject({ method: "PUT", path: "/cb", body: '{"ok":true}' });
    expect(request?.headers["x-custom"]).toBe("yes");
    expect(request?.headers["x-outbox-event-id"]).toBe(String(id));
    expect(request?.key).toMatch(/^[0-9a-f]{32}$/);
  });

  it("counts 409 and 422 as delivered for http:* (the receiver already has the effect)", async () => {
    t.sink.respond = (request) => ({ status: request.path === "/conflict" ? 409 : 422 });
    await insertEvents(t.pool, 2, "http:callback", (i) => ({ url: `${t.sink.url}/${i === 1 ? "conflict" : "invalid"}` }));

    expect(await testEngine({ pool: t.pool, routing: noThrottle }).runOnce()).toMatchObject({ delivered: 2, failed: 0 });
    expect((await outboxRows(t.pool)).every((r) => r.processed_at !== null && r.processed_by !== "dead-letter")).toBe(true);
  });

  it("dead-letters http:* without a url and a 400 answer instead of reporting success", async () => {
    t.sink.respond = () => ({ status: 400, body: "bad" });
    await insertEvents(t.pool, 1, "http:nourl", () => ({ method: "POST" }));
    await insertEvents(t.pool, 1, "http:bad", () => ({ url: t.sink.url }), "other");

    expect(await testEngine({ pool: t.pool, routing: noThrottle }).runOnce()).toMatchObject({ deadLettered: 2 });
    const rows = await outboxRows(t.pool);
    expect(rows.find((r) => r.event_type === "http:nourl")?.last_error).toBe("Missing URL in payload");
    expect(rows.find((r) => r.event_type === "http:bad")?.last_error).toBe("HTTP 400: bad");
  });

  it("posts webhook:* data with the predecessor's headers and treats 409 as a failure", async () => {
    t.sink.respond = (request) => ({ status: request.path === "/dup" ? 409 : 200 });
    await insertEvents(t.pool, 2, "webhook:order", (i) => ({ webhook_url: `${t.sink.url}/${i === 1 ? "ok" : "dup"}`, data: { order: i } }));

    expect(await testEngine({ pool: t.pool, routing: noThrottle }).runOnce()).toMatchObject({ delivered: 1, deadLettered: 1 });

    const ok = t.sink.requests.find((r) => r.path === "/ok");
    expect(JSON.parse(ok?.body ?? "")).toEqual({ order: 1 });
    expect(ok?.headers["x-webhook-event"]).toBe("webhook:order");
    expect(ok?.headers["x-idempotency-key"]).toBe(ok?.key);
    expect(Number.isNaN(Date.parse(String(ok?.headers["x-webhook-timestamp"])))).toBe(false);
    expect((await outboxRows(t.pool)).find((r) => r.aggregate_id === "2")?.last_error).toBe("Webhook failed: 409");
  });

  it("logs notify:* with channel log, posts channel slack, and dead-letters an unknown channel", async () => {
    await insertEvents(t.pool, 1, "notify:log", () => ({ message: "hello" }));
    await insertEvents(t.pool, 1, "notify:chat", () => ({ channel: "slack", message: "to slack", slack_webhook_url: `${t.sink.url}/slack` }), "chat");
    await insertEvents(t.pool, 1, "notify:pager", () => ({ channel: "pager", message: "beep" }), "pager");
    await insertEvents(t.pool, 1, "notify:mail", () => ({ channel: "email", message: "no smtp configured" }), "mail");

    expect(await testEngine({ pool: t.pool, routing: noThrottle }).runOnce()).toMatchObject({ delivered: 2, deadLettered: 2 });

    expect(t.sink.requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([["/slack", { text: "to slack" }]]);
    const rows = await outboxRows(t.pool);
    expect(rows.find((r) => r.event_type === "notify:pager")?.last_error).toBe("Unknown notify channel: pager");
    expect(rows.find((r) => r.event_type === "notify:mail")?.last_error).toBe("No email target configured for notify:* channel email");
  });

  it("uses SLACK_WEBHOOK_URL for notify:* slack without a URL in the payload", async () => {
    await insertEvents(t.pool, 1, "notify:chat", () => ({ channel: "slack" }));
    const engine = testEngine({ pool: t.pool, routing: noThrottle, settings: { slackWebhookUrl: `${t.sink.url}/env` } });

    expect(await engine.runOnce()).toMatchObject({ delivered: 1 });
    expect(t.sink.requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([["/env", { text: "Notification from AOS" }]]);
  });
});
