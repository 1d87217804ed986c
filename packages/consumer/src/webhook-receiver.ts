import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorMessage, type Pool } from "@m10/shared";
import type pg from "pg";
import { InvalidEnvelopeError, parseEnvelope, type M10Envelope } from "./envelope.js";
import { ensureIdempotentProcessing, type IdempotentOutcome } from "./idempotent-processing.js";
import { verifyStandardWebhook } from "./webhook-signature.js";

// An example receiver of M10's webhook events: verifies the Standard Webhooks signature, reads the
// envelope ({type, id, outbox_id, version, aggregate_type, aggregate_id, data}) and runs the
// handler once per (envelope id, consumer group) through the event ledger. Answers: 200 processed
// or duplicate (the outbox processor stops), 401 bad signature, 400 not an envelope, 503 handler
// failed (the outbox processor retries with backoff), all errors as application/problem+json.

export interface WebhookReceiverOptions {
  pool: Pool;
  /** The routing file's webhook secret ("whsec_<base64>"). */
  secret: string;
  consumerGroup: string;
  handle: (event: M10Envelope, client: pg.PoolClient) => Promise<unknown>;
  port?: number;
  host?: string;
  /** The largest body read, in bytes (1 MiB). */
  maxBodyBytes?: number;
}

export interface WebhookReceiver {
  url: string;
  close(): Promise<void>;
}

class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new ProblemError(413, "body_too_large", `the body exceeds ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function envelopeOf(body: string): M10Envelope {
  try {
    return parseEnvelope(body);
  } catch (error) {
    if (error instanceof InvalidEnvelopeError) throw new ProblemError(400, error.code, error.message);
    throw error;
  }
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(JSON.stringify(body));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(" ") : value;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const receive = async (req: IncomingMessage): Promise<IdempotentOutcome<unknown> & { event_id: string }> => {
    if (req.method !== "POST") throw new ProblemError(405, "method_not_allowed", "POST an M10 event");
    const body = await readBody(req, maxBodyBytes);
    const verified = verifyStandardWebhook(options.secret, { "webhook-id": header(req, "webhook-id"), "webhook-timestamp": header(req, "webhook-timestamp"), "webhook-signature": header(req, "webhook-signature") }, body);
    if (!verified.ok) throw new ProblemError(401, verified.reason, "the Standard Webhooks signature does not verify");
    const event = envelopeOf(body);
    try {
      const outcome = await ensureIdempotentProcessing({ pool: options.pool, eventId: event.id, eventType: event.type, consumerGroup: options.consumerGroup }, (client) => options.handle(event, client));
      return { ...outcome, event_id: event.id };
    } catch (error) {
      throw new ProblemError(503, "processing_failed", errorMessage(error));
    }
  };
  const server: Server = createServer((req, res) => {
    receive(req).then(
      (outcome) => send(res, 200, { status: outcome.status, event_id: outcome.event_id, attempts: outcome.attempts }),
      (error: unknown) => {
        const problem = error instanceof ProblemError ? error : new ProblemError(400, "bad_request", errorMessage(error));
        send(res, problem.status, { type: "about:blank", title: problem.code, status: problem.status, code: problem.code, detail: problem.message }, "application/problem+json");
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
