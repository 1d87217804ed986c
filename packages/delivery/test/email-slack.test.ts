import { outboxIdempotencyKey } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { useSmtpSink } from "./support/smtp-sink.js";
import { insertEvents, outboxRows, testEngine, useOutboxEnvironment } from "../src/testing.js";

describe("email and Slack targets", () => {
  const t = useOutboxEnvironment();
  const smtp = useSmtpSink(["nobody@example.com"]);

  it("sends email through SMTP with the rendered subject and body", async () => {
    const [id] = await insertEvents(t.pool, 1, "recovery.suggested", () => ({ suggestion: "retry_with_backoff", confidence: 0.92 }));
    const engine = testEngine({
      pool: t.pool,
      routing: {
        targets: {
          oncall: {
            type: "email",
            host: "127.0.0.1",
            port: smtp.port,
            from: "m10@example.com",
            to: ["ops@example.com", "sre@example.com"],
            subject: "Recovery {{payload.suggestion}} for candidate {{aggregate_id}}",
            body: "Suggested: {{payload.suggestion}} ({{payload.confidence}})\nEvent {{event_type}} #{{id}}\n",
            rpm: 0,
          },
        },
        routes: { "recovery.suggested": ["oncall"] },
      },
    });

    expect(await engine.runOnce()).toMatchObject({ delivered: 1 });
    await engine.close();

    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    const key = outboxIdempotencyKey({ version: id ?? 0, aggregate_type: "test", aggregate_id: "1", event_type: "recovery.suggested" });
    expect(mail?.subject).toBe("Recovery retry_with_backoff for candidate 1");
    expect(mail?.text).toBe(`Suggested: retry_with_backoff (0.92)\nEvent recovery.suggested #${id}\n`);
    expect(mail?.from?.text).toBe("m10@example.com");
    expect((Array.isArray(mail?.to) ? mail.to : [mail?.to]).map((a) => a?.text).join(", ")).toBe("ops@example.com, sre@example.com");
    expect(mail?.messageId).toBe(`<${key}@m10.outbox>`);
    expect(mail?.headers.get("idempotency-key")).toBe(key);
  });

  it("renders the default subject and body when the target has no templates", async () => {
    await insertEvents(t.pool, 1, "recovery.action_requested", () => ({ action: "restart" }));
    const engine = testEngine({
      pool: t.pool,
      routing: { targets: { mail: { type: "email", smtp_url: `smtp://127.0.0.1:${smtp.port}`, from: "m10@example.com", to: "ops@example.com", rpm: 0 } }, routes: { "*": ["mail"] } },
    });

    expect(await engine.runOnce()).toMatchObject({ delivered: 1 });
    await engine.close();

    expect(smtp.messages[0]?.subject).toBe("[M10] recovery.action_requested for test 1");
    expect(smtp.messages[0]?.text).toContain("Event: recovery.action_requested\nAggregate: test 1\n");
    expect(smtp.messages[0]?.text).toContain('"action": "restart"');
  });

  it("dead-letters an email the SMTP server refuses with 550", async () => {
    await insertEvents(t.pool, 1, "recovery.suggested");
    const engine = testEngine({
      pool: t.pool,
      routing: { targets: { mail: { type: "email", host: "127.0.0.1", port: smtp.port, from: "m10@example.com", to: "nobody@example.com", rpm: 0 } }, routes: { "*": ["mail"] } },
    });

    expect(await engine.runOnce()).toMatchObject({ deadLettered: 1 });
    await engine.close();
    expect((await outboxRows(t.pool))[0]?.last_error).toMatch(/^SMTP error: 550 /);
  });

  it("posts a Slack incoming-webhook message with text and blocks", async () => {
    await insertEvents(t.pool, 1, "recovery.suggested", () => ({ suggestion: "retry", confidence: 0.9, nested: { ignored: true } }));
    const engine = testEngine({
      pool: t.pool,
      routing: { targets: { chat: { type: "slack", url: `${t.sink.url}/services/T/B/X`, rpm: 0 } }, routes: { "*": ["chat"] } },
    });

    expect(await engine.runOnce()).toMatchObject({ delivered: 1 });

    const [request] = t.sink.requests;
    expect(request?.path).toBe("/services/T/B/X");
    expect(request?.headers["content-type"]).toBe("application/json");
    const message = JSON.parse(request?.body ?? "{}") as { text: string; blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { type: string; text: string }[] }[] };
    expect(message.text).toBe("*recovery.suggested* for test 1");
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]);
    expect(message.blocks[0]?.text).toEqual({ type: "plain_text", text: "M10: recovery.suggested" });
    expect(message.blocks[1]?.text).toEqual({ type: "mrkdwn", text: "*recovery.suggested* for test 1" });
    // Scalar payload entries become fields (jsonb stores keys ordered by length, then bytes).
    expect(message.blocks[1]?.fields).toEqual([
      { type: "mrkdwn", text: "*confidence*\n0.9" },
      { type: "mrkdwn", text: "*suggestion*\nretry" },
    ]);
    expect(message.blocks[2]?.elements?.[0]?.text).toContain(`key ${request?.key}`);
  });

  it("escapes client text in Slack mrkdwn: no <!channel> ping, no disguised link, & kept literal", async () => {
    const hostile = { error_code: "<!channel> DB_DOWN", source: "<http://evil.example/login|Open the runbook>", note: "a & b <@U123>" };
    await insertEvents(t.pool, 1, "recovery.suggested", () => hostile);
    await insertEvents(t.pool, 1, "notify:ops", () => ({ channel: "slack", message: "<!here> see <https://evil.example|status page> & more", slack_webhook_url: `${t.sink.url}/notify` }), "notify");
    const engine = testEngine({
      pool: t.pool,
      routing: {
        defaults: { slack: { rpm: 0 } },
        targets: { chat: { type: "slack", url: `${t.sink.url}/chat`, text: "*{{event_type}}* {{payload.error_code}} from {{payload.source}} ({{payload.note}})", rpm: 0 } },
        routes: { "recovery.*": ["chat"] },
      },
      settings: { payloadAddressing: { enabled: true, allowedHosts: ["127.0.0.1"], allowedPrivateAddresses: ["127.0.0.1"] } },
    });

    expect(await engine.runOnce()).toMatchObject({ delivered: 2 });

    const chat = t.sink.requests.find((r) => r.path === "/chat")?.body ?? "";
    const notify = t.sink.requests.find((r) => r.path === "/notify")?.body ?? "";
    for (const body of [chat, notify]) {
      expect(body).not.toMatch(/<!(channel|here)>/);
      expect(body).not.toMatch(/<https?:\/\/evil/);
      expect(body).not.toContain("<@U123>");
    }
    const message = JSON.parse(chat) as { text: string; blocks: { fields?: { text: string }[] }[] };
    expect(message.text).toBe("*recovery.suggested* &lt;!channel&gt; DB_DOWN from &lt;http://evil.example/login|Open the runbook&gt; (a &amp; b &lt;@U123&gt;)");
    expect(message.blocks[1]?.fields).toContainEqual({ type: "mrkdwn", text: "*error_code*\n&lt;!channel&gt; DB_DOWN" });
    expect(JSON.parse(notify)).toEqual({ text: "&lt;!here&gt; see &lt;https://evil.example|status page&gt; &amp; more" });
  });

  it("retries a Slack 429 after its Retry-After and dead-letters a 404 (hook removed)", async () => {
    t.sink.respond = (request) => (request.path === "/gone" ? { status: 404, body: "no_service" } : { status: 429, headers: { "retry-after": "30" } });
    await insertEvents(t.pool, 1, "a.event");
    await insertEvents(t.pool, 1, "b.event", undefined, "other");
    const engine = testEngine({
      pool: t.pool,
      routing: {
        targets: { busy: { type: "slack", url: `${t.sink.url}/busy`, rpm: 0 }, gone: { type: "slack", url: `${t.sink.url}/gone`, rpm: 0 } },
        routes: { "a.event": ["busy"], "b.event": ["gone"] },
      },
    });

    expect(await engine.runOnce()).toMatchObject({ retried: 1, deadLettered: 1 });
    const rows = await outboxRows(t.pool);
    const busy = rows.find((r) => r.event_type === "a.event");
    expect((busy?.next_retry_at?.getTime() ?? 0) - (busy?.updated_at.getTime() ?? 0)).toBeGreaterThanOrEqual(30_000);
    expect(rows.find((r) => r.event_type === "b.event")?.last_error).toBe("Slack: 404 no_service");
  });
});
