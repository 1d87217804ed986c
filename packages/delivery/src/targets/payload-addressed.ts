import type { Logger } from "pino";
import type { OutboxEvent } from "@m10/shared";
import { PermanentDeliveryError } from "../errors.js";
import { isSuccess, sendHttp, statusFailure } from "../http-request.js";
import type { PayloadAddressGuard } from "../payload-address-guard.js";
import type { TargetType, ThrottleSettings } from "../routing.js";
import type { DeliveryTarget } from "../target.js";
import { escapeSlackText } from "./slack.js";
import { USER_AGENT } from "./webhook.js";

// The predecessor's payload-addressed event types (docs/architecture.md §4.6): the payload carries
// the destination. Same headers, success statuses and last_error texts as before, but M10 retries
// with backoff, dead-letters permanent failures, and never reports an unknown channel as success.
// Every URL taken from a payload passes the guard first (payload-address-guard.ts): a refused one
// is a permanent failure and no request is sent.

export const PAYLOAD_HTTP = "payload:http";
export const PAYLOAD_WEBHOOK = "payload:webhook";
export const PAYLOAD_SLACK = "payload:slack";
export const NOTIFY_LOG = "log";

export interface PayloadAddressedContext {
  typeThrottles: Readonly<Record<TargetType, ThrottleSettings>>;
  /** Checks every URL taken from a payload (opt-in, allow-listed hosts, no internal addresses). */
  guard: PayloadAddressGuard;
  /** SLACK_WEBHOOK_URL: notify:* slack without slack_webhook_url in the payload. */
  slackWebhookUrl: string | undefined;
  /** notify:* email: the routing file's email target named `name`, or its first email target. */
  emailTarget(name: string | undefined): DeliveryTarget | undefined;
  logger: Logger;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringHeaders(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function throttled(name: string, settings: ThrottleSettings, deliver: DeliveryTarget["deliver"]): DeliveryTarget {
  return { name, rpm: settings.rpm, timeoutMs: settings.timeoutSeconds * 1000, deliver };
}

/**
 * The target of a payload-addressed event (`http:*`, `webhook:*`, `notify:*`); undefined for any
 * other event type. Throws a PermanentDeliveryError when the payload lacks its address.
 */
export function payloadAddressedTarget(event: OutboxEvent, context: PayloadAddressedContext): DeliveryTarget | undefined {
  const payload = record(event.payload);
  if (event.event_type.startsWith("http:")) {
    const url = payload.url;
    if (typeof url !== "string" || url === "") throw new PermanentDeliveryError("Missing URL in payload");
    return throttled(PAYLOAD_HTTP, context.typeThrottles.webhook, async ({ idempotencyKey, signal }) => {
      const connectTo = await context.guard.check(url);
      const body = payload.body ? JSON.stringify(payload.body) : undefined;
      const reply = await sendHttp({
        url,
        connectTo,
        method: typeof payload.method === "string" ? payload.method.toUpperCase() : "POST",
        headers: {
          "user-agent": USER_AGENT,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...stringHeaders(payload.headers),
          "Idempotency-Key": idempotencyKey,
          "X-Outbox-Event-Id": String(event.id),
        },
        body,
        signal,
      });
      // 409 and 422 mean the receiver already has this effect ("idempotent skip").
      if (reply.status < 400 || reply.status === 409 || reply.status === 422) return;
      throw statusFailure(reply, `HTTP ${reply.status}: ${reply.bodySnippet}`);
    });
  }
  if (event.event_type.startsWith("webhook:")) {
    const url = payload.webhook_url;
    if (typeof url !== "string" || url === "") throw new PermanentDeliveryError("Missing webhook_url in payload");
    return throttled(PAYLOAD_WEBHOOK, context.typeThrottles.webhook, async ({ idempotencyKey, signal }) => {
      const connectTo = await context.guard.check(url);
      const reply = await sendHttp(
        {
          url,
          connectTo,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "X-Webhook-Event": event.event_type,
            "X-Webhook-Timestamp": new Date().toISOString(),
            "X-Idempotency-Key": idempotencyKey,
            "Idempotency-Key": idempotencyKey,
          },
          body: JSON.stringify(payload.data ?? {}),
          signal,
        },
        { timeout: "Webhook error: timeout", transport: "Webhook error: " },
      );
      if (reply.status < 400) return;
      throw statusFailure(reply, `Webhook failed: ${reply.status}`);
    });
  }
  if (event.event_type.startsWith("notify:")) {
    const channel = typeof payload.channel === "string" ? payload.channel : "log";
    const message = typeof payload.message === "string" ? payload.message : undefined;
    switch (channel) {
      case "log":
        return throttled(NOTIFY_LOG, { rpm: 0, timeoutSeconds: 5 }, async ({ idempotencyKey }) => {
          context.logger.info({ event_id: event.id, event_type: event.event_type, idempotency_key: idempotencyKey, message }, "outbox.notify_log");
        });
      case "slack": {
        const fromPayload = typeof payload.slack_webhook_url === "string" && payload.slack_webhook_url !== "" ? payload.slack_webhook_url : undefined;
        const url = fromPayload ?? context.slackWebhookUrl;
        if (!url) throw new PermanentDeliveryError("No Slack webhook URL configured");
        return throttled(PAYLOAD_SLACK, context.typeThrottles.slack, async ({ idempotencyKey, signal }) => {
          // SLACK_WEBHOOK_URL is the operator's; a URL from the payload is checked like any other.
          const connectTo = fromPayload === undefined ? undefined : await context.guard.check(fromPayload);
          const reply = await sendHttp({
            url,
            connectTo,
            method: "POST",
            headers: { "content-type": "application/json", "user-agent": USER_AGENT, "Idempotency-Key": idempotencyKey },
            body: JSON.stringify({ text: message ? escapeSlackText(message) : "Notification from AOS" }),
            signal,
          });
          if (isSuccess(reply.status)) return;
          throw statusFailure(reply, `Slack: ${reply.status}`);
        });
      }
      case "email": {
        const target = context.emailTarget(typeof payload.target === "string" ? payload.target : undefined);
        if (!target) throw new PermanentDeliveryError("No email target configured for notify:* channel email");
        return target;
      }
      default:
        throw new PermanentDeliveryError(`Unknown notify channel: ${channel}`);
    }
  }
  return undefined;
}
