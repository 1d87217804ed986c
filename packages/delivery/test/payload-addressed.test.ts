import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { isNonPublicAddress } from "../src/payload-address-guard.js";
import { insertEvents, outboxRows, PAYLOAD_ADDRESSING_TO_SINK, testEngine, useOutboxEnvironment } from "../src/testing.js";
import type { RoutingFile } from "../src/routing.js";

// docs/architecture.md §4.6: http:*, webhook:* and notify:* carry their destination in the payload.
const noRoutes: RoutingFile = { targets: {}, routes: {} };
const noThrottle: RoutingFile = { ...noRoutes, defaults: { webhook: { rpm: 0 }, slack: { rpm: 0 } } };
/** The tests below deliver to the HTTP sink on 127.0.0.1: enabled, that host allowed, that loopback address allowed. */
const toSink = { payloadAddressing: PAYLOAD_ADDRESSING_TO_SINK };

describe("payload-addressed event types", () => {
  const t = useOutboxEnvironment();

  it("sends http:* to the payload's url with its method, headers, body and Idempotency-Key", async () => {
    const [id] = await insertEvents(t.pool, 1, "http:callback", () => ({ url: `${t.sink.url}/cb`, method: "put", headers: { "X-Custom": "yes" }, body: { ok: true } }));
    const engine = testEngine({ pool: t.pool, routing: noThrottle, settings: toSink });

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

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings: toSink }).runOnce()).toMatchObject({ delivered: 2, failed: 0 });
    expect((await outboxRows(t.pool)).every((r) => r.processed_at !== null && r.processed_by !== "dead-letter")).toBe(true);
  });

  it("dead-letters http:* without a url and a 400 answer instead of reporting success", async () => {
    t.sink.respond = () => ({ status: 400, body: "bad" });
    await insertEvents(t.pool, 1, "http:nourl", () => ({ method: "POST" }));
    await insertEvents(t.pool, 1, "http:bad", () => ({ url: t.sink.url }), "other");

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings: toSink }).runOnce()).toMatchObject({ deadLettered: 2 });
    const rows = await outboxRows(t.pool);
    expect(rows.find((r) => r.event_type === "http:nourl")?.last_error).toBe("Missing URL in payload");
    expect(rows.find((r) => r.event_type === "http:bad")?.last_error).toBe("HTTP 400: bad");
  });

  it("posts webhook:* data with the predecessor's headers and treats 409 as a failure", async () => {
    t.sink.respond = (request) => ({ status: request.path === "/dup" ? 409 : 200 });
    await insertEvents(t.pool, 2, "webhook:order", (i) => ({ webhook_url: `${t.sink.url}/${i === 1 ? "ok" : "dup"}`, data: { order: i } }));

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings: toSink }).runOnce()).toMatchObject({ delivered: 1, deadLettered: 1 });

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

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings: toSink }).runOnce()).toMatchObject({ delivered: 2, deadLettered: 2 });

    expect(t.sink.requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([["/slack", { text: "to slack" }]]);
    const rows = await outboxRows(t.pool);
    expect(rows.find((r) => r.event_type === "notify:pager")?.last_error).toBe("Unknown notify channel: pager");
    expect(rows.find((r) => r.event_type === "notify:mail")?.last_error).toBe("No email target configured for notify:* channel email");
  });

  it("uses SLACK_WEBHOOK_URL for notify:* slack without a URL in the payload", async () => {
    await insertEvents(t.pool, 1, "notify:chat", () => ({ channel: "slack" }));
    const engine = testEngine({ pool: t.pool, routing: noThrottle, settings: { ...toSink, slackWebhookUrl: `${t.sink.url}/env` } });

    expect(await engine.runOnce()).toMatchObject({ delivered: 1 });
    expect(t.sink.requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([["/env", { text: "Notification from AOS" }]]);
  });
});

// Issue 11 item 14: the payload's URL is a server-side request forgery vector.
describe("payload-addressed URLs are opt-in, allow-listed and never internal", () => {
  const t = useOutboxEnvironment();
  const leak = "ami-secret-credentials-0123456789";
  const everyKind = (url: string) => [
    ["http:", { url, method: "GET" }],
    ["webhook:", { webhook_url: url, data: {} }],
    ["notify:", { channel: "slack", message: "hi", slack_webhook_url: url }],
  ] as const;

  /** One event of each kind to `url`, each on an aggregate of its own (an aggregate's versions are delivered in turn). */
  async function publishAll(url: string): Promise<void> {
    for (const [prefix, payload] of everyKind(url)) await insertEvents(t.pool, 1, `${prefix}${url}`, () => payload, `${prefix}${url}`);
  }

  it("are off by default: every kind is dead-lettered at once and the listener receives nothing", async () => {
    t.sink.respond = () => ({ status: 200, body: leak });
    await publishAll(`${t.sink.url}/latest/meta-data`);

    expect(await testEngine({ pool: t.pool, routing: noThrottle }).runOnce()).toMatchObject({ deadLettered: 3, retried: 0 });
    expect(t.sink.requests).toEqual([]);
    for (const row of await outboxRows(t.pool)) expect(row.last_error).toMatch(/^Payload-addressed delivery is disabled/);
  });

  it("refuses loopback targets after DNS (name, IPv4, IPv6, IPv4-mapped IPv6) without an explicit allowance, echoing nothing", async () => {
    t.sink.respond = () => ({ status: 500, body: leak });
    const port = new URL(t.sink.url).port;
    const urls = [`http://localhost:${port}/a`, `http://127.0.0.1:${port}/b`, `http://[::ffff:127.0.0.1]:${port}/c`, `http://[::1]:${port}/d`, `http://0.0.0.0:${port}/e`];
    for (const url of urls) await publishAll(url);
    const settings = { payloadAddressing: { enabled: true, allowedHosts: ["*"], allowedPrivateAddresses: [] } };

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings }).runOnce()).toMatchObject({ deadLettered: urls.length * 3, retried: 0 });
    expect(t.sink.requests).toEqual([]);
    for (const row of await outboxRows(t.pool)) {
      expect(row.last_error).toMatch(/^Refused payload address: .* resolves to .*non-public/);
      expect(row.last_error).not.toContain(leak);
    }
  });

  it("refuses a host that is not allow-listed before resolving it", async () => {
    await publishAll(`${t.sink.url}/x`);
    const settings = { payloadAddressing: { enabled: true, allowedHosts: ["hooks.example.com", "*.example.org"], allowedPrivateAddresses: ["127.0.0.1"] } };

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings }).runOnce()).toMatchObject({ deadLettered: 3 });
    expect(t.sink.requests).toEqual([]);
    for (const row of await outboxRows(t.pool)) expect(row.last_error).toBe("Refused payload address: host 127.0.0.1 is not in OUTBOX_PAYLOAD_ALLOWED_HOSTS");
  });

  it("connects to the address it checked: a name only the injected resolver knows reaches the allowed listener", async () => {
    const port = new URL(t.sink.url).port;
    await insertEvents(t.pool, 1, "http:pinned", () => ({ url: `http://sink.m10.test:${port}/pinned`, method: "POST", body: { n: 1 } }));
    let lookups = 0;
    const resolveHost = async (host: string) => {
      lookups += 1;
      expect(host).toBe("sink.m10.test");
      return [{ address: "127.0.0.1", family: 4 as const }];
    };
    const settings = { payloadAddressing: { enabled: true, allowedHosts: ["*.m10.test"], allowedPrivateAddresses: ["127.0.0.0/8"] } };

    expect(await testEngine({ pool: t.pool, routing: noThrottle, settings, resolveHost }).runOnce()).toMatchObject({ delivered: 1 });
    expect(lookups).toBe(1);
    expect(t.sink.requests.map((r) => [r.path, r.headers.host])).toEqual([["/pinned", `sink.m10.test:${port}`]]);
  });

  it("refuses a name whose answers mix a public and an internal address (rebinding), without connecting", async () => {
    let connections = 0;
    const listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    try {
      const port = (listener.address() as { port: number }).port;
      await insertEvents(t.pool, 1, "webhook:rebind", () => ({ webhook_url: `http://rebind.m10.test:${port}/`, data: {} }));
      const resolveHost = async () => [
        { address: "93.184.215.14", family: 4 as const },
        { address: "::ffff:169.254.169.254", family: 6 as const },
      ];
      const settings = { payloadAddressing: { enabled: true, allowedHosts: ["rebind.m10.test"], allowedPrivateAddresses: [] } };

      expect(await testEngine({ pool: t.pool, routing: noThrottle, settings, resolveHost }).runOnce()).toMatchObject({ deadLettered: 1 });
      expect((await outboxRows(t.pool))[0]?.last_error).toMatch(/resolves to ::ffff:169\.254\.169\.254/);
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it("classifies loopback, private, link-local, unspecified and multicast addresses, IPv4 and IPv6, as non-public", () => {
    const internal = [
      "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
      "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe",
    ];
    for (const address of internal) expect(isNonPublicAddress(address), address).toBe(true);
    for (const address of ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) expect(isNonPublicAddress(address), address).toBe(false);
  });
});
