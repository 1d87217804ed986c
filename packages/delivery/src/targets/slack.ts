import { type OutboxEvent, truncateCodePoints } from "@m10/shared";
import { renderTemplate, templateValues } from "../envelope.js";
import { isSuccess, sendHttp, statusFailure } from "../http-request.js";
import type { ResolvedTarget } from "../routing.js";
import type { DeliveryTarget } from "../target.js";
import { USER_AGENT } from "./webhook.js";

type SlackTarget = Extract<ResolvedTarget, { type: "slack" }>;

/**
 * Client text as literal mrkdwn: Slack reads <!channel>, <@U…> and <url|label> as pings and links,
 * and wants &, < and > escaped as &amp; &lt; &gt; (api.slack.com, "Formatting text for app surfaces").
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export const DEFAULT_SLACK_TEXT = "*{{event_type}}* for {{aggregate_type}} {{aggregate_id}}";

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Slack's section fields: at most 10, from the payload's scalar entries. */
function payloadFields(payload: unknown): { type: "mrkdwn"; text: string }[] {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return [];
  return Object.entries(payload as Record<string, unknown>)
    .filter(([, value]) => value !== null && ["string", "number", "boolean"].includes(typeof value))
    .slice(0, 10)
    .map(([key, value]) => ({ type: "mrkdwn" as const, text: `*${escapeSlackText(truncateCodePoints(key, 100))}*\n${escapeSlackText(truncateCodePoints(String(value), 1900))}` }));
}

/** An incoming-webhook message: `text` (notification fallback) and blocks (header, section, context). */
export function slackMessage(event: OutboxEvent, idempotencyKey: string, textTemplate = DEFAULT_SLACK_TEXT): SlackMessage {
  const text = renderTemplate(textTemplate, templateValues(event, idempotencyKey), escapeSlackText);
  const fields = payloadFields(event.payload);
  return {
    text,
    blocks: [
      { type: "header", text: { type: "plain_text", text: truncateCodePoints(`M10: ${event.event_type}`, 150) } },
      { type: "section", text: { type: "mrkdwn", text: truncateCodePoints(text, 3000) }, ...(fields.length > 0 ? { fields } : {}) },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeSlackText(`outbox #${event.id} · ${event.aggregate_type} ${event.aggregate_id} · key ${idempotencyKey}`) }] },
    ],
  };
}

/** POST to a Slack incoming webhook. 2xx is success; 429 (with Retry-After) and 5xx retry; other 4xx are permanent. */
export function createSlackTarget(target: SlackTarget): DeliveryTarget {
  return {
    name: target.name,
    rpm: target.throttle.rpm,
    timeoutMs: target.throttle.timeoutSeconds * 1000,
    async deliver({ event, idempotencyKey, signal }) {
      const reply = await sendHttp({
        url: target.spec.url,
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": USER_AGENT, "idempotency-key": idempotencyKey },
        body: JSON.stringify(slackMessage(event, idempotencyKey, target.spec.text)),
        signal,
      });
      if (!isSuccess(reply.status)) throw statusFailure(reply, `Slack: ${reply.status} ${reply.bodySnippet}`.trim());
    },
  };
}
