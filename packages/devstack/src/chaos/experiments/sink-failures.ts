// The suite's fault 5: a webhook sink answering 500, then 429 with Retry-After, then 200. Every
// event reaches it, is applied once (one 2xx per idempotency key), and none is dead-lettered.
// The events are payload-addressed (`http:chaos`), so the outbox processor needs
// OUTBOX_PAYLOAD_ADDRESSING_ENABLED with 127.0.0.1 allowed (`make up` sets it).
import { randomUUID } from "node:crypto";
import { createHttpSink } from "../../testing/http-sink.js";
import type { Experiment } from "../experiment.js";
import { awaitRecovery, sleep, timeUntil } from "../observe.js";
import { outboxSince } from "../outbox-state.js";

const EVENTS = 60;
const EVENT_TYPE = "http:chaos";

async function circuitState(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/health/detailed`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { circuit_breakers?: Record<string, { state: string }> };
    const states = Object.entries(body.circuit_breakers ?? {}).map(([target, b]) => `${target} ${b.state}`);
    return states.length ? states.join(", ") : "no circuit breaker reported";
  } catch (error) {
    return `unreadable (${error instanceof Error ? error.message : String(error)})`;
  }
}

export const sinkFailures: Experiment = {
  name: "sink_failures",
  summary: "a webhook sink answers 500 for CHAOS_SINK_FAIL_SECONDS, then 429 + Retry-After as long, then 200; every event delivered and applied once",
  async run({ config, report, db }) {
    const failUntil = Date.now() + config.sinkFailSeconds * 1000;
    const throttleUntil = failUntil + config.sinkFailSeconds * 1000;
    const sink = await createHttpSink(() => {
      if (Date.now() < failUntil) return { status: 500, body: "chaos: failing" };
      if (Date.now() < throttleUntil) return { status: 429, headers: { "retry-after": "5" }, body: "chaos: slow down" };
      return { status: 200, body: "ok" };
    });
    const since = new Date();
    const run = randomUUID();
    try {
      report.did(`sink at ${sink.url}: 500 for ${config.sinkFailSeconds} s, then 429 (Retry-After: 5) for ${config.sinkFailSeconds} s, then 200`);
      for (let i = 0; i < EVENTS; i++) {
        await db.query("SELECT m10_recovery.publish_outbox('chaos', $1, $2, $3::jsonb)", [
          `${run}-${i}`,
          EVENT_TYPE,
          JSON.stringify({ url: `${sink.url}/chaos`, method: "POST", body: { run, n: i } }),
        ]);
      }
      report.did(`published ${EVENTS} ${EVENT_TYPE} events`);
      await sleep(Math.min(10_000, config.sinkFailSeconds * 1000));
      report.observed(`after ${Math.min(10, config.sinkFailSeconds)} s of 500s: ${sink.requests.length} requests; circuit breakers: ${await circuitState(config.urls.outboxProcessor)}`);
      await sleep(Math.max(0, throttleUntil - Date.now()));
      report.faultEnded();
      report.did("the sink answers 200 from now on");
      const deliveredMs = await timeUntil(
        "every event is delivered",
        async () => (await outboxSince(db, since, EVENT_TYPE)).pending === 0,
        config.recoveryTargetSeconds * 1000 + 60_000,
        1_000,
      );
      report.observed(`every event processed ${(deliveredMs / 1000).toFixed(1)} s after the sink recovered`);
      const byStatus = new Map<number, number>();
      for (const r of sink.requests) byStatus.set(r.status ?? 0, (byStatus.get(r.status ?? 0) ?? 0) + 1);
      report.observed(`sink saw ${sink.requests.length} requests: ${[...byStatus].map(([s, n]) => `${s}: ${n}`).join(", ")}`);
      const successes = sink.successesByKey();
      const outbox = await outboxSince(db, since, EVENT_TYPE);
      report.check("every event reached the sink with a 2xx", successes.size === EVENTS, `${successes.size} of ${EVENTS} idempotency keys`);
      report.check("each was applied once (one 2xx per key)", [...successes.values()].every((n) => n === 1), "");
      report.check("no event was dead-lettered", outbox.deadLettered === 0, `${outbox.deadLettered} dead letters`);
      await awaitRecovery(config, db, report);
    } finally {
      await sink.close();
    }
  },
};
