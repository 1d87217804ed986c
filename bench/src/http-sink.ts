import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Sink {
  url: string;
  /** Receive time (ms) of the first delivery of each idempotency key. */
  firstSeen: Map<string, number>;
  /** aggregate_id → receive time (ms) of its first delivery. */
  byAggregate: Map<string, number>;
  duplicates: number;
  close(): Promise<void>;
}

/** A webhook receiver that answers 204 at once and remembers when each key first arrived. */
export async function startSink(): Promise<Sink> {
  const firstSeen = new Map<string, number>();
  const byAggregate = new Map<string, number>();
  const sink: Sink = { url: "", firstSeen, byAggregate, duplicates: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const now = Date.now();
      const key = String(req.headers["idempotency-key"] ?? "");
      if (firstSeen.has(key)) sink.duplicates += 1;
      else {
        firstSeen.set(key, now);
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { aggregate_id?: string };
        if (body.aggregate_id) byAggregate.set(body.aggregate_id, now);
      }
      res.writeHead(204).end();
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
