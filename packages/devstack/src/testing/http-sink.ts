import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the sink received. */
export interface SinkRequest {
  /** Idempotency-Key header ("" when absent). */
  key: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** 1 for the first request with this key, 2 for the second, ... */
  attempt: number;
  /** The status answered (undefined while hanging). */
  status?: number;
}

export interface SinkReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Never answer (until the client goes away or the sink closes). */
  hang?: boolean;
}

export type SinkResponder = (request: SinkRequest) => SinkReply;

/** A receiver that counts requests by Idempotency-Key and answers what `respond` decides. */
export interface HttpSink {
  url: string;
  requests: SinkRequest[];
  respond: SinkResponder;
  /** Keys answered with 2xx, and how often. */
  successesByKey(): Map<string, number>;
  close(): Promise<void>;
}

export async function createHttpSink(respond: SinkResponder = () => ({ status: 200, body: "ok" })): Promise<HttpSink> {
  const attempts = new Map<string, number>();
  const sink: HttpSink = {
    url: "",
    requests: [],
    respond,
    successesByKey() {
      const counts = new Map<string, number>();
      for (const r of sink.requests) if (r.status !== undefined && r.status >= 200 && r.status < 300) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
      return counts;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const answer = (res: ServerResponse, request: SinkRequest, reply: SinkReply) => {
    if (res.destroyed) return;
    request.status = reply.status;
    res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
    res.end(reply.body ?? "");
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const key = String(req.headers["idempotency-key"] ?? "");
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const request: SinkRequest = {
        key,
        method: req.method ?? "",
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
        attempt,
      };
      sink.requests.push(request);
      const reply = sink.respond(request);
      if (reply.hang) return;
      if (reply.delayMs) setTimeout(() => answer(res, request, reply), reply.delayMs);
      else answer(res, request, reply);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sink;
}
