import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Sink {
  url: string;
  /** Receive time (ms) of the first delivery of each idempotency key. */
  firstSeen: Map<string, number>;
  /** keyOf(body) → receive time (ms) of its first delivery (by default the envelope's aggregate_id). */
  byKey: Map<string, number>;
  duplicates: number;
  close(): Promise<void>;
}

/** OUTBOX_ROUTES_JSON sending every event type to `sink` as a signed webhook, unthrottled. */
export function sinkRoutesJson(sink: Sink): string {
  return JSON.stringify({
    targets: { sink: { type: "webhook", url: sink.url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", rpm: 0 } },
    routes: { "*": ["sink"] },
  });
}

/** The delivered envelope's fields a sink can key on. */
export interface DeliveredBody {
  type?: string;
  aggregate_id?: string;
  data?: Record<string, unknown>;
}

export interface SinkOptions {
  /** The key a delivery is remembered by in `byKey` (default: the envelope's aggregate_id). */
  keyOf?: (body: DeliveredBody) => string | undefined;
  /** How long the receiver takes to answer (ms; default 0: at once). */
  answerAfterMs?: number;
}

/** A webhook receiver that answers 204 (at once, or after `answerAfterMs`) and remembers when each key first arrived. */
export async function startSink({ keyOf = (body) => body.aggregate_id, answerAfterMs = 0 }: SinkOptions = {}): Promise<Sink> {
  const firstSeen = new Map<string, number>();
  const byKey = new Map<string, number>();
  const sink: Sink = { url: "", firstSeen, byKey, duplicates: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const now = Date.now();
      const key = String(req.headers["idempotency-key"] ?? "");
      if (firstSeen.has(key)) sink.duplicates += 1;
      else {
        firstSeen.set(key, now);
        const bodyKey = keyOf(JSON.parse(Buffer.concat(chunks).toString("utf8")) as DeliveredBody);
        if (bodyKey) byKey.set(bodyKey, now);
      }
      if (answerAfterMs > 0) setTimeout(() => res.writeHead(204).end(), answerAfterMs);
      else res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}
