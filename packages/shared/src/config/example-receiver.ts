// m10-example-receiver (@m10/consumer): the example webhook receiver run as a process for the
// Phase 7 idempotency drill.
import { z } from "zod";
import { databaseEnv } from "./common.js";
import { env } from "./env.js";

export const exampleReceiverConfigSchema = z.object({
  ...databaseEnv,
  LOG_LEVEL: env.logLevel(),
  M10_RECEIVER_SECRET: z
    .string({ error: "is required" })
    .startsWith("whsec_", "must be the routing file's Standard Webhooks secret (whsec_<base64>)")
    .describe("the webhook target's secret in the outbox processor's routing (whsec_<base64>)"),
  M10_RECEIVER_HOST: env.string("127.0.0.1", "address to listen on"),
  M10_RECEIVER_PORT: env.int(9180, "port to listen on (0 = any free port; the URL is logged as receiver.started)"),
  M10_RECEIVER_CONSUMER_GROUP: env.string("example-receiver", "the ledger's consumer group (public.event_ledger.consumer_group)"),
  M10_RECEIVER_FAIL: env.bool(false, "simulate an outage: every event fails (503) and is recorded as failed in the ledger"),
});
