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

export interface StreamSettings {
  /** JetStream replicas (num_replicas): 3 on a 3-node cluster survives the loss of one node. */
  replicas?: number;
  /** The Nats-Msg-Id dedupe window. */
  duplicateWindowMs?: number;
}

/**
 * Makes sure a stream capturing `subjects` exists with `replicas` replicas (created when missing;
 * subjects added and the replica count changed when needed).
 */
export async function ensureStream(nc: NatsConnection, stream: string, subjects: string[], settings: StreamSettings = {}): Promise<void> {
  const { replicas = 1, duplicateWindowMs = 2 * 60 * 60 * 1000 } = settings;
  const jsm = await jetstreamManager(nc);
  try {
    const info = await jsm.streams.info(stream);
    const missing = subjects.filter((s) => !info.config.subjects?.includes(s));
    if (missing.length > 0 || info.config.num_replicas !== replicas) {
      await jsm.streams.update(stream, { ...info.config, subjects: [...(info.config.subjects ?? []), ...missing], num_replicas: replicas });
    }
  } catch (error) {
    if (!/stream not found/i.test(String((error as Error).message))) throw error;
    await jsm.streams.add({ name: stream, subjects, num_replicas: replicas, duplicate_window: duplicateWindowMs * 1_000_000 });
  }
}

/** JetStream publish with a message id, so a re-publish of the same id is dropped by the server. */
export async function publishWithId(js: JetStreamClient, subject: string, data: Uint8Array | string, msgId: string, timeoutMs = 5_000): Promise<PubAck> {
  return js.publish(subject, data, { msgID: msgId, timeout: timeoutMs });
}

export function jetstreamClient(nc: NatsConnection): JetStreamClient {
  return jetstream(nc);
}
