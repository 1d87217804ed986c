import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type PubAck } from "@nats-io/jetstream";

export type { NatsConnection, JetStreamClient, PubAck };

/** Connects with endless reconnects, so a NATS restart never needs a process restart. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url.split(",").map((s) => s.trim()),
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    timeout: 5_000,
  });
}

/** Makes sure a stream capturing `subjects` exists (created when missing, subjects added when needed). */
export async function ensureStream(nc: NatsConnection, stream: string, subjects: string[], duplicateWindowMs = 2 * 60 * 60 * 1000): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    const info = await jsm.streams.info(stream);
    const missing = subjects.filter((s) => !info.config.subjects?.includes(s));
    if (missing.length > 0) {
      await jsm.streams.update(stream, { ...info.config, subjects: [...(info.config.subjects ?? []), ...missing] });
    }
  } catch (error) {
    if (!/stream not found/i.test(String((error as Error).message))) throw error;
    await jsm.streams.add({ name: stream, subjects, duplicate_window: duplicateWindowMs * 1_000_000 });
  }
}

/** JetStream publish with a message id, so a re-publish of the same id is dropped by the server. */
export async function publishWithId(js: JetStreamClient, subject: string, data: Uint8Array | string, msgId: string, timeoutMs = 5_000): Promise<PubAck> {
  return js.publish(subject, data, { msgID: msgId, timeout: timeoutMs });
}

export function jetstreamClient(nc: NatsConnection): JetStreamClient {
  return jetstream(nc);
}
