import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type pg from "pg";
import {
  claimOutboxEvents,
  commaList,
  completeOutboxEvent,
  deadLetterOutboxEvent,
  type OutboxDeliveryConfig,
  type OutboxEvent,
  outboxEventAgeSeconds,
  outboxIdempotencyKey,
  type RedisClient,
  releaseOutboxClaims,
  type ServiceMetrics,
  throttlePrefix,
  truncateCodePoints,
} from "@m10/shared";
import { jetstreamClient, type NatsConnection } from "./nats-connection.js";
import { CIRCUIT_STATE_VALUE, createCircuitBreakers, type CircuitBreakerSettings, type CircuitSnapshot } from "./circuit-breaker.js";
import { createCompletionBatcher } from "./completion-batcher.js";
import { asDeliveryError, DeliveryError, UnroutableEventError } from "./errors.js";
import { startLeaseKeeper, type LeaseKeeper } from "./lease-keeper.js";
import { decideAfterFailure, type RetryPolicy } from "./retry-policy.js";
import type { ResolvedTarget, RoutingConfig } from "./routing.js";
import type { DeliveryTarget } from "./target.js";
import { createEmailTarget, type EmailDeliveryTarget } from "./targets/email.js";
import { createNatsTarget, ensureNatsStreams } from "./targets/nats.js";
import { createPayloadAddressGuard, type HostResolver, type PayloadAddressing } from "./payload-address-guard.js";
import { payloadAddressedTarget } from "./targets/payload-addressed.js";
import { createSlackTarget } from "./targets/slack.js";
import { createWebhookTarget } from "./targets/webhook.js";
import { createThrottle, type Throttle } from "./throttle.js";

/** The catalogue metrics the engine writes; both the outbox-processor's and the orchestrator's createMetrics() provide them. */
export type DeliveryMetrics = Pick<
  ServiceMetrics<"outbox-processor">,
  | "m10OutboxClaimedTotal"
  | "m10OutboxProcessedTotal"
  | "m10OutboxFailedTotal"
  | "m10OutboxProcessingSeconds"
  | "m10OutboxRetryCount"
  | "m10OutboxThrottleWaitsTotal"
  | "m10OutboxThrottleWaitSeconds"
  | "m10OutboxDeadLetteredTotal"
  | "m10OutboxLeaseLostTotal"
  | "m10OutboxCircuitState"
  | "m10OutboxCircuitOpenedTotal"
  | "m10ArchiveTotal"
>;

export interface DeliverySettings extends RetryPolicy {
  leaseSeconds: number;
  /** Longest wait for a target's throttle before the event is released unattempted. */
  throttleMaxWaitMs: number;
  /** Where the shared throttles live: <M10_REDIS_KEY_PREFIX>throttle: */
  throttleKeyPrefix: string;
  slackWebhookUrl: string | undefined;
  /** Payload-addressed URLs: off unless enabled, allow-listed hosts, no internal addresses. */
  payloadAddressing: PayloadAddressing;
  /** Per-target circuit breakers (the M7 runbook's auto-disable on > 50 errors/min). */
  circuit: CircuitBreakerSettings;
}

export function deliverySettings(config: OutboxDeliveryConfig & { M10_REDIS_KEY_PREFIX?: string }): DeliverySettings {
  return {
    leaseSeconds: config.M10_OUTBOX_LEASE_SECONDS,
    retryBudgetSeconds: config.OUTBOX_RETRY_BUDGET_SECONDS,
    maxRetries: config.OUTBOX_MAX_RETRIES,
    backoff: { baseSeconds: config.OUTBOX_BACKOFF_BASE_SECONDS, maxSeconds: config.OUTBOX_BACKOFF_MAX_SECONDS },
    throttleMaxWaitMs: config.OUTBOX_THROTTLE_MAX_WAIT_MS,
    throttleKeyPrefix: throttlePrefix({ prefix: config.M10_REDIS_KEY_PREFIX }),
    slackWebhookUrl: config.SLACK_WEBHOOK_URL || undefined,
    payloadAddressing: {
      enabled: config.OUTBOX_PAYLOAD_ADDRESSING_ENABLED,
      allowedHosts: commaList(config.OUTBOX_PAYLOAD_ALLOWED_HOSTS),
      allowedPrivateAddresses: commaList(config.OUTBOX_PAYLOAD_ALLOWED_PRIVATE),
    },
    circuit: { errorsPerMinute: config.OUTBOX_CIRCUIT_ERRORS_PER_MINUTE, openSeconds: config.OUTBOX_CIRCUIT_OPEN_SECONDS, minFailureRatio: config.OUTBOX_CIRCUIT_MIN_FAILURE_RATIO },
  };
}

export interface DeliveryEngineDeps {
  pool: pg.Pool;
  /** Store of the shared throttles; undefined = per-process throttles. */
  redis: RedisClient | undefined;
  /** Needed when a route uses a nats target. */
  nats: NatsConnection | undefined;
  logger: Logger;
  metrics: DeliveryMetrics;
  routing: RoutingConfig;
  settings: DeliverySettings;
  /** Lease holder id (holderId()). */
  processorId: string;
  /** Injectable randomness of the backoff jitter (tests). */
  random?: () => number;
  /** Injectable DNS of payload-addressed hosts (tests); default dns.lookup. */
  resolveHost?: HostResolver;
}

export interface BatchOptions {
  batchSize: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Stop request: claimed events not yet started are released at once; started deliveries finish. */
  signal?: AbortSignal;
}

/** What one batch did; `failed` counts attempts that failed (retried + dead-lettered). */
export interface BatchReport {
  claimed: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  failed: number;
  /** Given back unattempted (stop request, throttle wait exceeded, lease too short to start, target's circuit open). */
  released: number;
  /** Completion refused because another processor holds the lease now. */
  leaseLost: number;
  /** Completion failed (database error); the lease expires and the event is delivered again. */
  completionErrors: number;
}

export interface DeliveryEngine {
  readonly processorId: string;
  /** Checks the NATS streams of the nats targets (created when missing). */
  start(): Promise<void>;
  /** Claims one batch and delivers it: claim -> route -> throttle -> targets -> complete / retry / dead-letter. */
  runBatch(options: BatchOptions): Promise<BatchReport>;
  /** The circuit breaker of every target this engine has tried, for /health/detailed. */
  circuitBreakers(): Record<string, CircuitSnapshot>;
  /** The last event this engine delivered (the Phase 7 runbook's last_processed_event_id). */
  lastDelivered(): DeliveredEvent | undefined;
  /** Closes SMTP pools. */
  close(): Promise<void>;
}

export interface DeliveredEvent {
  /** m10_recovery.outbox id. */
  id: number;
  eventType: string;
  idempotencyKey: string;
  at: Date;
}

type Outcome =
  | { kind: "delivered" }
  | { kind: "failed"; error: DeliveryError }
  | { kind: "released"; reason: string; notBefore?: Date };

/** Started deliveries need at least this much lease left beyond the target timeout. */
const LEASE_MARGIN_MS = 1_000;

export function createDeliveryEngine(deps: DeliveryEngineDeps): DeliveryEngine {
  const { pool, logger, metrics, routing, settings, processorId } = deps;
  const throttle: Throttle = createThrottle({ redis: deps.redis, maxWaitMs: settings.throttleMaxWaitMs, keyPrefix: settings.throttleKeyPrefix, logger });
  let lastDelivered: DeliveredEvent | undefined;
  const completions = createCompletionBatcher(pool, processorId);
  const breakers = createCircuitBreakers(
    settings.circuit,
    {
      stateChanged: (target, state) => {
        metrics.m10OutboxCircuitState.set({ target }, CIRCUIT_STATE_VALUE[state]);
        if (state === "open") metrics.m10OutboxCircuitOpenedTotal.inc({ target });
      },
    },
    logger,
  );
  const natsTargets = [...routing.targets.values()].filter((t): t is Extract<ResolvedTarget, { type: "nats" }> => t.type === "nats");
  if (natsTargets.length > 0 && !deps.nats) {
    throw new Error(`routing uses nats target(s) ${natsTargets.map((t) => t.name).join(", ")} but no NATS connection was given`);
  }

  const configured = new Map<string, DeliveryTarget>();
  const emailTargets: EmailDeliveryTarget[] = [];
  for (const target of routing.targets.values()) {
    switch (target.type) {
      case "webhook":
        configured.set(target.name, createWebhookTarget(target));
        break;
      case "slack":
        configured.set(target.name, createSlackTarget(target));
        break;
      case "email": {
        const email = createEmailTarget(target);
        emailTargets.push(email);
        configured.set(target.name, email);
        break;
      }
      case "nats":
        if (deps.nats) configured.set(target.name, createNatsTarget(target, deps.nats, jetstreamClient(deps.nats), logger));
        break;
    }
  }
  const longestTimeoutMs = Math.max(30_000, ...[...configured.values()].map((t) => t.timeoutMs));
  if (settings.leaseSeconds * 1000 < 2 * longestTimeoutMs) {
    logger.warn({ lease_seconds: settings.leaseSeconds, longest_timeout_ms: longestTimeoutMs }, "outbox.lease_short_relies_on_extension");
  }

  const payloadContext = {
    guard: createPayloadAddressGuard(settings.payloadAddressing, deps.resolveHost),
    typeThrottles: routing.typeThrottles,
    slackWebhookUrl: settings.slackWebhookUrl,
    emailTarget: (name: string | undefined) => (name ? emailTargets.find((t) => t.name === name) : emailTargets[0]),
    logger,
  };

  /** The targets of an event; throws a permanent DeliveryError when it has none. */
  const targetsOf = (event: OutboxEvent): DeliveryTarget[] => {
    const addressed = payloadAddressedTarget(event, payloadContext);
    if (addressed) return [addressed];
    const routed = routing.targetsFor(event.event_type);
    if (!routed || routed.length === 0) throw new UnroutableEventError(event.event_type);
    return routed.map((r) => configured.get(r.name)).filter((t): t is DeliveryTarget => t !== undefined);
  };

  /** Throttle, lease check, then the attempt with the target's timeout. */
  const deliverTo = async (target: DeliveryTarget, event: OutboxEvent, key: string, leases: LeaseKeeper, signal: AbortSignal | undefined): Promise<Outcome> => {
    const waited = await throttle.acquire(target.name, target.rpm, signal);
    if (waited.waitedMs > 0) {
      metrics.m10OutboxThrottleWaitsTotal.inc({ target: target.name });
      metrics.m10OutboxThrottleWaitSeconds.observe({ target: target.name }, waited.waitedMs / 1000);
    }
    if (!waited.acquired) return { kind: "released", reason: `throttle_${waited.reason}` };
    // Never start an attempt that could outlive the lease: another processor might take the event.
    const expiresAt = leases.expiresAt(event.id);
    if (expiresAt === undefined) return { kind: "released", reason: "lease_lost" };
    if (expiresAt - Date.now() < target.timeoutMs + LEASE_MARGIN_MS) {
      const held = await leases.extendNow(event.id).catch(() => false);
      if (!held) return { kind: "released", reason: "lease_not_extended" };
    }
    // Last, so that a half-open circuit's trial is an attempt that really starts.
    const admission = breakers.admit(target.name);
    if (!admission.allowed) return { kind: "released", reason: "circuit_open", notBefore: admission.retryAt };
    try {
      await target.deliver({ event, idempotencyKey: key, signal: AbortSignal.timeout(target.timeoutMs), timeoutMs: target.timeoutMs });
      breakers.record(target.name, false);
      return { kind: "delivered" };
    } catch (error) {
      const failure = asDeliveryError(error);
      breakers.record(target.name, !failure.permanent);
      return { kind: "failed", error: failure };
    }
  };

  /** All targets of an event; any permanent failure wins, then any retryable one (largest Retry-After). */
  const attempt = async (event: OutboxEvent, key: string, leases: LeaseKeeper, signal: AbortSignal | undefined): Promise<Outcome> => {
    let targets: DeliveryTarget[];
    try {
      targets = targetsOf(event);
    } catch (error) {
      return { kind: "failed", error: asDeliveryError(error) };
    }
    const outcomes = await Promise.all(targets.map((target) => deliverTo(target, event, key, leases, signal)));
    const failures = outcomes.filter((o): o is Extract<Outcome, { kind: "failed" }> => o.kind === "failed");
    const permanent = failures.find((f) => f.error.permanent);
    if (permanent) return permanent;
    if (failures.length > 0) {
      const retryAfter = failures.map((f) => f.error.retryAfterSeconds).filter((s): s is number => s !== undefined);
      const message = failures.map((f) => f.error.message).join("; ");
      return { kind: "failed", error: new DeliveryError(message, false, retryAfter.length > 0 ? Math.max(...retryAfter) : undefined) };
    }
    const released = outcomes.find((o): o is Extract<Outcome, { kind: "released" }> => o.kind === "released");
    return released ?? { kind: "delivered" };
  };

  const handle = async (event: OutboxEvent, leases: LeaseKeeper, report: BatchReport, signal: AbortSignal | undefined): Promise<void> => {
    const started = performance.now();
    const key = outboxIdempotencyKey(event);
    const labels = { aggregate_type: event.aggregate_type, event_type: event.event_type };
    const outcome = await attempt(event, key, leases, signal);
    leases.forget(event.id);
    const log = { event_id: event.id, event_type: event.event_type, idempotency_key: key, retry_count: event.retry_count };

    if (outcome.kind === "released") {
      const released = await releaseOutboxClaims(pool, processorId, [event.id], outcome.notBefore);
      report.released += released;
      logger.debug({ ...log, reason: outcome.reason }, "outbox.released");
      return;
    }
    metrics.m10OutboxProcessingSeconds.observe({ event_type: event.event_type }, (performance.now() - started) / 1000);

    if (outcome.kind === "delivered") {
      if (await completions.complete(event.id)) {
        report.delivered += 1;
        metrics.m10OutboxProcessedTotal.inc(labels);
        metrics.m10OutboxRetryCount.observe(event.retry_count);
        lastDelivered = { id: event.id, eventType: event.event_type, idempotencyKey: key, at: new Date() };
        logger.debug(log, "outbox.delivered");
      } else leaseLost(log, report);
      return;
    }

    const error = truncateCodePoints(outcome.error.message, 2000);
    metrics.m10OutboxFailedTotal.inc(labels);
    // The event's age only matters to a retryable failure (the budget), so only then is it read.
    const age = outcome.error.permanent ? 0 : await outboxEventAgeSeconds(pool, event.id);
    const decision = decideAfterFailure(outcome.error, event.retry_count, age, settings, deps.random);
    if (decision.kind === "dead_letter") {
      const { reason } = decision;
      const archiveId = await deadLetterOutboxEvent(pool, event.id, processorId, reason, error);
      if (archiveId === undefined) return leaseLost(log, report);
      report.deadLettered += 1;
      metrics.m10OutboxDeadLetteredTotal.inc({ event_type: event.event_type, reason });
      metrics.m10ArchiveTotal.inc({ source: "outbox" });
      metrics.m10OutboxRetryCount.observe(event.retry_count + 1);
      logger.warn({ ...log, reason, error, archive_id: archiveId }, "outbox.dead_lettered");
      return;
    }
    const delay = decision.delaySeconds;
    if (await completeOutboxEvent(pool, event.id, processorId, { success: false, error, retryDelaySeconds: delay })) {
      report.retried += 1;
      logger.info({ ...log, error, retry_in_seconds: delay }, "outbox.retry_scheduled");
    } else leaseLost(log, report);
  };

  const leaseLost = (log: Record<string, unknown>, report: BatchReport): void => {
    report.leaseLost += 1;
    metrics.m10OutboxLeaseLostTotal.inc();
    logger.warn({ ...log, processor_id: processorId }, "outbox.complete_lease_lost");
  };

  return {
    processorId,
    lastDelivered: () => lastDelivered,
    async start() {
      if (deps.nats && natsTargets.length > 0) await ensureNatsStreams(deps.nats, natsTargets);
      logger.info({ routing: routing.source, targets: [...routing.targets.keys()], processor_id: processorId }, "outbox.engine_started");
    },

    async runBatch({ batchSize, concurrency, signal }) {
      const report: BatchReport = { claimed: 0, delivered: 0, retried: 0, deadLettered: 0, failed: 0, released: 0, leaseLost: 0, completionErrors: 0 };
      if (signal?.aborted) return report;
      // Every in-flight delivery may wait on the throttle with this signal: that is not a leak.
      if (signal) setMaxListeners(Math.max(10, concurrency * 2 + 10), signal);
      const claimedAt = Date.now();
      const events = await claimOutboxEvents(pool, processorId, batchSize, settings.leaseSeconds);
      report.claimed = events.length;
      if (events.length === 0) return report;
      metrics.m10OutboxClaimedTotal.inc(events.length);

      const leases = startLeaseKeeper(pool, processorId, events.map((e) => e.id), settings.leaseSeconds, claimedAt, logger);
      const queue = [...events];
      // A stop request gives the claims not yet started back AT ONCE, before in-flight deliveries
      // are awaited: those may outlast the shutdown deadline (a 30 s webhook timeout against 25 s),
      // and a released row is claimable again immediately instead of after the lease.
      let releasing: Promise<void> | undefined;
      const releaseUnstarted = () => {
        const unstarted = queue.splice(0).map((event) => event.id);
        if (unstarted.length === 0) return;
        for (const id of unstarted) leases.forget(id);
        releasing = releaseOutboxClaims(pool, processorId, unstarted).then(
          (released) => {
            report.released += released;
            logger.info({ released }, "outbox.unstarted_released");
          },
          // The lease runs out and another processor takes the events.
          (error: unknown) => logger.warn({ err: error, event_ids: unstarted }, "outbox.unstarted_release_failed"),
        );
      };
      if (signal?.aborted) releaseUnstarted();
      else signal?.addEventListener("abort", releaseUnstarted, { once: true });
      const worker = async () => {
        for (let event = queue.shift(); event; event = queue.shift()) {
          try {
            await handle(event, leases, report, signal);
          } catch (error) {
            // The database refused the completion: the lease runs out and the event is delivered
            // again (receivers dedupe by its idempotency key).
            report.completionErrors += 1;
            logger.error({ err: error, event_id: event.id }, "outbox.complete_failed");
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, events.length)) }, worker));
      } finally {
        signal?.removeEventListener("abort", releaseUnstarted);
        await leases.stop();
        await releasing;
      }
      report.failed = report.retried + report.deadLettered;
      return report;
    },

    circuitBreakers: () => breakers.snapshot(),

    async close() {
      for (const email of emailTargets) email.close();
    },
  };
}
