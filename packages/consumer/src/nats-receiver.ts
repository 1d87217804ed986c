// An example receiver of M10's NATS events: a durable JetStream pull consumer on the stream the
// outbox processor publishes to (M10_EVENTS, subjects m10.events.<event_type>), named after the
// consumer group, that runs the handler once per (envelope id, consumer group) through the event
// ledger. A message is acknowledged when processed or already processed (a redelivery, a replay,
// the same event published again), negatively acknowledged with a delay when the handler failed
// (JetStream redelivers it and the ledger lets it run again), and terminated when it is not an
// M10 envelope (redelivering it cannot help).
import { AckPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, type Pool } from "@m10/shared";
import type pg from "pg";
import { InvalidEnvelopeError, parseEnvelope, type M10Envelope } from "./envelope.js";
import { ensureIdempotentProcessing, type IdempotentOutcome } from "./idempotent-processing.js";

export interface NatsReceiverOptions {
  nc: NatsConnection;
  pool: Pool;
  /** Also the durable consumer's name (characters NATS does not allow in a name become "_"). */
  consumerGroup: string;
  handle: (event: M10Envelope, client: pg.PoolClient) => Promise<unknown>;
  /** The JetStream stream (OUTBOX_NATS_STREAM, default M10_EVENTS). */
  stream?: string;
  /** Only these subjects, e.g. "m10.events.recovery.>" (default: the whole stream). */
  filterSubject?: string;
  /** How long JetStream waits before redelivering a message whose handler failed (5 s). */
  retryDelayMs?: number;
  /** Each message's outcome, for logs and tests. */
  onOutcome?: (outcome: NatsOutcome) => void;
}

export type NatsOutcome =
  | (IdempotentOutcome<unknown> & { eventId: string; subject: string })
  | { status: "failed"; eventId: string; subject: string; error: string }
  | { status: "invalid"; subject: string; error: string };

export interface NatsReceiver {
  /** The durable consumer's name. */
  durableName: string;
  /** Stops pulling; a message being handled finishes first. */
  close(): Promise<void>;
}

export async function startNatsReceiver(options: NatsReceiverOptions): Promise<NatsReceiver> {
  const stream = options.stream ?? "M10_EVENTS";
  const durableName = options.consumerGroup.replace(/[^A-Za-z0-9_-]/g, "_");
  const jsm = await jetstreamManager(options.nc);
  // Idempotent: the same configuration again returns the existing consumer.
  await jsm.consumers.add(stream, {
    durable_name: durableName,
    ack_policy: AckPolicy.Explicit,
    ...(options.filterSubject ? { filter_subject: options.filterSubject } : {}),
  });
  const consumer = await jetstream(options.nc).consumers.get(stream, durableName);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  const report = options.onOutcome ?? (() => undefined);

  const receive = async (message: JsMsg): Promise<void> => {
    let event: M10Envelope;
    try {
      event = parseEnvelope(message.string());
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError)) throw error;
      message.term(error.code);
      report({ status: "invalid", subject: message.subject, error: error.message });
      return;
    }
    try {
      const outcome = await ensureIdempotentProcessing({ pool: options.pool, eventId: event.id, eventType: event.type, consumerGroup: options.consumerGroup }, (client) =>
        options.handle(event, client),
      );
      message.ack();
      report({ ...outcome, eventId: event.id, subject: message.subject });
    } catch (error) {
      message.nak(options.retryDelayMs ?? 5_000);
      report({ status: "failed", eventId: event.id, subject: message.subject, error: errorMessage(error) });
    }
  };

  const loop = (async () => {
    for await (const message of messages) await receive(message);
  })();

  return {
    durableName,
    close: async () => {
      await messages.close();
      await loop;
    },
  };
}
