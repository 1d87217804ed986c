import { eventEnvelope } from "../envelope.js";
import { isSuccess, sendHttp, statusFailure } from "../http-request.js";
import type { ResolvedTarget } from "../routing.js";
import { standardWebhookHeaders } from "../signature.js";
import type { DeliveryTarget } from "../target.js";

export const USER_AGENT = "m10-outbox-processor";

type WebhookTarget = Extract<ResolvedTarget, { type: "webhook" }>;

/**
 * HTTP POST of the event envelope, signed with the Standard Webhooks scheme (webhook-id = the
 * idempotency key) and carrying Idempotency-Key. 2xx is success; 429, 408, 5xx retry; other
 * statuses (including redirects) are permanent.
 */
export function createWebhookTarget(target: WebhookTarget): DeliveryTarget {
  return {
    name: target.name,
    rpm: target.throttle.rpm,
    timeoutMs: target.throttle.timeoutSeconds * 1000,
    async deliver({ event, idempotencyKey, signal }) {
      const body = JSON.stringify(eventEnvelope(event, idempotencyKey));
      const reply = await sendHttp({
        url: target.spec.url,
        method: "POST",
        headers: {
          ...target.spec.headers,
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          "idempotency-key": idempotencyKey,
          "x-outbox-event-id": String(event.id),
          ...standardWebhookHeaders(target.spec.secret, idempotencyKey, body),
        },
        body,
        signal,
      });
      if (!isSuccess(reply.status)) throw statusFailure(reply, `HTTP ${reply.status}: ${reply.bodySnippet}`);
    },
  };
}
