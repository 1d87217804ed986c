// The webhook receiver of the suite: it "applies" each event the first time a delivery of its
// Idempotency-Key is answered 2xx, counts every further 2xx delivery of that key as a duplicate,
// and answers 500 or 429 while a fault tells it to. Only counters per key are kept (no bodies), so
// a run of several hundred thousand deliveries stays small.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type SinkMode = { kind: "ok" } | { kind: "error"; status: number } | { kind: "throttle"; retryAfterSeconds: number };

export interface ChaosSink {
  url: string;
  mode: SinkMode;
  /** Key → 2xx deliveries (the first applied the event, the others were duplicates). */
  applied: Map<string, number>;
  /** Requests by status answered. */
  statuses: Map<number, number>;
  /** The phase running now; a 2xx delivery of a key already applied counts as a duplicate of it. */
  phase: string;
  duplicatesByPhase: Map<string, number>;
  /** Requests without an Idempotency-Key (a delivery that cannot be deduplicated). */
  withoutKey: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<ChaosSink> {
  const sink: ChaosSink = { url: "", mode: { kind: "ok" }, phase: "start", duplicatesByPhase: new Map(), applied: new Map(), statuses: new Map(), withoutKey: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const key = req.headers["idempotency-key"];
      const mode = sink.mode;
      const status = mode.kind === "ok" ? 204 : mode.kind === "error" ? mode.status : 429;
      sink.statuses.set(status, (sink.statuses.get(status) ?? 0) + 1);
      if (typeof key !== "string" || key === "") sink.withoutKey += 1;
      else if (status < 300) {
        const seen = sink.applied.get(key) ?? 0;
        if (seen > 0) sink.duplicatesByPhase.set(sink.phase, (sink.duplicatesByPhase.get(sink.phase) ?? 0) + 1);
        sink.applied.set(key, seen + 1);
      }
      res.writeHead(status, mode.kind === "throttle" ? { "retry-after": String(mode.retryAfterSeconds) } : {}).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}
