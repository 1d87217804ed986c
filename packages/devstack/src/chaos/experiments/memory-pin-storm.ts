// Seed 003 "Memory Pin Storm: 1000 rapid writes, verify rate limiting": the pins API admits at
// most its per-tenant budget (M10_RATE_LIMIT_PINS_MAX, 100 a minute), answers the rest 429 with
// Retry-After and never 5xx, and admits writes again once the window has passed.
import { randomUUID } from "node:crypto";
import type { ChaosConfig } from "../config.js";
import type { Experiment } from "../experiment.js";
import { awaitRecovery, timeUntil } from "../observe.js";

const CONCURRENCY = 50;
/** The M7 runbook's 100 RPM per tenant (M10_RATE_LIMIT_PINS_MAX). */
const PINS_PER_WINDOW = 100;

async function writePin(config: ChaosConfig, tenant: string, key: string): Promise<{ status: number; retryAfter: string | null }> {
  try {
    const response = await fetch(`${config.urls.ingest}/api/v1/memory/pins`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-machine-token": config.machineToken },
      body: JSON.stringify({ tenant_id: tenant, key, value: { chaos: true }, ttl_seconds: 3600 }),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get("retry-after") };
  } catch {
    return { status: 0, retryAfter: null };
  }
}

export const memoryPinStorm: Experiment = {
  name: "memory_pin_storm",
  summary: "CHAOS_PIN_WRITES (1000) pin writes as fast as 50 connections allow; at most 100 a minute are admitted, the rest 429 + Retry-After",
  async run({ config, report, db }) {
    const tenant = `chaos-storm-${randomUUID().slice(0, 8)}`;
    const statuses = new Map<number, number>();
    let rejectedWithoutRetryAfter = 0;
    let next = 0;
    const started = Date.now();
    report.did(`writing ${config.pinWrites} pins for tenant ${tenant} over ${CONCURRENCY} concurrent connections`);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < config.pinWrites; i = next++) {
          const answer = await writePin(config, tenant, `storm-${i}`);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 429 && !answer.retryAfter) rejectedWithoutRetryAfter += 1;
        }
      }),
    );
    report.faultEnded();
    const seconds = (Date.now() - started) / 1000;
    const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? "no answer" : s}: ${n}`).join(", ");
    report.observed(`${config.pinWrites} writes in ${seconds.toFixed(1)} s (${Math.round(config.pinWrites / seconds)}/s): ${summary}`);
    const admitted = statuses.get(201) ?? 0;
    report.check(`at most ${PINS_PER_WINDOW} writes were admitted`, admitted > 0 && admitted <= PINS_PER_WINDOW, `${admitted} admitted`);
    report.check("every other write was 429", (statuses.get(429) ?? 0) === config.pinWrites - admitted, summary);
    report.check("every 429 carried Retry-After", rejectedWithoutRetryAfter === 0, `${rejectedWithoutRetryAfter} without`);
    const afterMs = await timeUntil("a pin write is admitted again", async () => (await writePin(config, tenant, "after-storm")).status === 201, 120_000, 2_000);
    report.observed(`pin writes admitted again ${(afterMs / 1000).toFixed(1)} s after the storm (the rate-limit window)`);
    await awaitRecovery(config, db, report);
    const removed = await db.query("DELETE FROM system.memory_pins WHERE tenant_id = $1", [tenant]);
    report.did(`deleted the storm's ${removed.rowCount ?? 0} pins`);
  },
};
