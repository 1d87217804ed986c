// The outbox-processor service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";
import { commaList, parseAddressRange } from "./address-range.js";
import { env } from "./env.js";

/**
 * The delivery engine's variables (packages/shared/src/delivery). The orchestrator's
 * `outbox_process` task runs the same engine, so its schema spreads this fragment too.
 */
export const outboxDeliveryEnv = {
  M10_OUTBOX_LEASE_SECONDS: env.int(300, "delivery lease of a claimed outbox event (s); kept well above target timeouts and extended while a delivery runs", 1),
  OUTBOX_RETRY_BUDGET_SECONDS: env.int(86_400, "a retryable failure is retried until this long after the event was published (s); then it is dead-lettered (outbox_retry_budget_exhausted)", 1),
  OUTBOX_MAX_RETRIES: env.optionalInt("optional cap on failed attempts: when set, the failure after this many dead-letters the event (outbox_max_retries) even within the retry budget; unset = the budget alone decides"),
  OUTBOX_BACKOFF_BASE_SECONDS: env.number(30, "base of the exponential retry backoff with full jitter (s)"),
  OUTBOX_BACKOFF_MAX_SECONDS: env.number(1_800, "cap of the retry backoff (s); also caps a Retry-After"),
  OUTBOX_THROTTLE_MAX_WAIT_MS: env.int(60_000, "longest a delivery waits for its target's throttle before the event is released unattempted (ms)", 0),
  OUTBOX_CIRCUIT_ERRORS_PER_MINUTE: env.int(50, "circuit breaker per target (the M7 runbook's auto-disable): more retryable failures than this within a minute disable the target for OUTBOX_CIRCUIT_OPEN_SECONDS (0 = no circuit breaker)", 0),
  OUTBOX_CIRCUIT_MIN_FAILURE_RATIO: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe("the circuit opens only when those failures are also at least this share of the target's attempts in that minute (0 = the count alone, as the M7 runbook words it)"),
  OUTBOX_CIRCUIT_OPEN_SECONDS: env.int(60, "how long an open circuit keeps its target disabled before one trial delivery (s)", 1),
  OUTBOX_ROUTES_FILE: env.optionalString("JSON routing file: event type -> target names, targets with type/url/secret/smtp/rpm/timeout (see the outbox-processor README)"),
  OUTBOX_ROUTES_JSON: env.optionalString("the routing configuration inline (same JSON as OUTBOX_ROUTES_FILE; the file wins when both are set)"),
  OUTBOX_NATS_STREAM: env.string("M10_EVENTS", "JetStream stream of the default nats target"),
  OUTBOX_NATS_SUBJECT_PREFIX: env.string("m10.events", "subject prefix of the default nats target: events go to <prefix>.<event_type>"),
  OUTBOX_NATS_REPLICAS: z.coerce
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe("JetStream replicas of the streams the outbox creates (1-5; 3 on a 3-node NATS cluster, so publishing survives losing a node); an existing stream is changed to it"),
  SLACK_WEBHOOK_URL: env.optionalString("Slack incoming-webhook URL for notify:* events with channel slack and no slack_webhook_url in the payload"),
  OUTBOX_PAYLOAD_ADDRESSING_ENABLED: env.bool(
    false,
    "deliver payload-addressed events (http:*, webhook:*, notify:* with slack_webhook_url) to the URL in their payload; off: they are dead-lettered",
  ),
  OUTBOX_PAYLOAD_ALLOWED_HOSTS: env.string("", "comma-separated hosts payload-addressed events may call: host names or IPs, *.example.com for subdomains, * for any (empty = none)"),
  OUTBOX_PAYLOAD_ALLOWED_PRIVATE: env
    .string("", "comma-separated IPs or CIDRs of loopback/private/link-local addresses payload-addressed events may reach anyway (empty = none: such targets are refused after DNS)")
    .refine((text) => commaList(text).every((entry) => parseAddressRange(entry) !== undefined), { message: "every entry must be an IP address or a CIDR" }),
};

export const outboxProcessorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...natsEnv,
  ...serviceEnv(9102),
  ...outboxDeliveryEnv,
  // Sized for a receiver answering in a millisecond and one answering in seconds alike (issue 16,
  // docs/architecture.md §6 "Outbox sizing"): 200 per claim makes claims and completions cheap per
  // event; 2 lanes × 64 sockets keep 128 slow deliveries waiting at once within 400 held events.
  OUTBOX_BATCH_SIZE: env.int(200, "events claimed per batch (--batch-size)", 1),
  OUTBOX_CONCURRENCY: env.int(64, "deliveries in flight at once per claimed batch (--concurrency)", 1),
  OUTBOX_MAX_IN_FLIGHT: env.int(
    400,
    "claimed events not yet finished in this process: up to ceil(OUTBOX_MAX_IN_FLIGHT / OUTBOX_BATCH_SIZE) batches deliver at once, the next claimed while the others deliver (--max-in-flight)",
    1,
  ),
  OUTBOX_POLL_INTERVAL: env.number(5, "safety net: longest wait (s) for an outbox notification after a claim found nothing; scheduled retries come due within it (--poll-interval)"),
});
export type OutboxProcessorConfig = z.infer<typeof outboxProcessorConfigSchema>;

/** The variables of outboxDeliveryEnv, parsed. */
export type OutboxDeliveryConfig = z.infer<z.ZodObject<typeof outboxDeliveryEnv>>;
