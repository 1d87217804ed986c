import type { Logger } from "pino";
import { ensureStream, publishWithId, type JetStreamClient, type NatsConnection } from "../nats-connection.js";
import { eventEnvelope } from "../envelope.js";
import { RetryableDeliveryError } from "../errors.js";
import type { ResolvedTarget } from "../routing.js";
import type { DeliveryTarget } from "../target.js";
import { errorMessage } from "@m10/shared";

type NatsTarget = Extract<ResolvedTarget, { type: "nats" }>;

/** `<prefix>.<event_type>`, with characters NATS does not allow in a token (spaces, *, >) replaced by "_". */
export function natsSubject(prefix: string, eventType: string): string {
  const tokens = eventType
    .replace(/[^A-Za-z0-9_.-]/g, "_")
    .split(".")
    .map((token) => token || "_");
  return [prefix, ...tokens].join(".");
}

/**
 * Creates (or extends with missing subjects) every stream the nats targets publish to: `<stream>`
 * capturing `<prefix>.>`, with the most replicas any of its targets asks for.
 */
export async function ensureNatsStreams(nc: NatsConnection, targets: NatsTarget[]): Promise<void> {
  const byStream = new Map<string, { subjects: Set<string>; replicas: number }>();
  for (const target of targets) {
    const entry = byStream.get(target.stream) ?? { subjects: new Set<string>(), replicas: 1 };
    entry.subjects.add(`${target.subjectPrefix}.>`);
    entry.replicas = Math.max(entry.replicas, target.replicas);
    byStream.set(target.stream, entry);
  }
  for (const [stream, { subjects, replicas }] of byStream) await ensureStream(nc, stream, [...subjects], { replicas });
}

/**
 * JetStream publish to `<prefix>.<event_type>` with Nats-Msg-Id = the idempotency key, so a
 * re-publish after a crash between publish and completion is dropped by the stream's duplicate
 * window. A failed publish re-checks the stream before the next attempt.
 */
export function createNatsTarget(target: NatsTarget, nc: NatsConnection, js: JetStreamClient, logger: Logger): DeliveryTarget {
  let streamSuspect = false;
  return {
    name: target.name,
    rpm: target.throttle.rpm,
    timeoutMs: target.throttle.timeoutSeconds * 1000,
    async deliver({ event, idempotencyKey, timeoutMs }) {
      try {
        if (streamSuspect) {
          await ensureNatsStreams(nc, [target]);
          streamSuspect = false;
        }
        const subject = natsSubject(target.subjectPrefix, event.event_type);
        const ack = await publishWithId(js, subject, JSON.stringify(eventEnvelope(event, idempotencyKey)), idempotencyKey, timeoutMs);
        if (ack.duplicate) logger.debug({ event_id: event.id, subject, seq: ack.seq }, "outbox.nats_duplicate_dropped");
      } catch (error) {
        streamSuspect = true;
        throw new RetryableDeliveryError(`NATS publish failed: ${errorMessage(error)}`);
      }
    },
  };
}
