// The suite's fault 4: NATS stopped for 60 s. Ingest and evaluation go on; the outbox events
// published meanwhile are delivered once NATS is back, none dead-lettered.
import type { Experiment } from "../experiment.js";
import { awaitRecovery, sleep, steadyIngest, timeUntil } from "../observe.js";
import { outage } from "../outage.js";
import { outboxSince } from "../outbox-state.js";

export const natsStop: Experiment = {
  name: "nats_stop",
  summary: "stop NATS for CHAOS_OUTAGE_SECONDS under steady ingest; the events published meanwhile are delivered after, none dead-lettered",
  async run({ config, target, report, db }) {
    const since = new Date();
    const load = steadyIngest(config);
    report.did("started steady ingest (4 failures/s)");
    await sleep(1_000);
    await outage(target, report, "nats", config.outageSeconds, { service: "outbox-processor", url: config.urls.outboxProcessor });
    const tally = await load.stop();
    report.observed(`ingest answers during the experiment: ${tally.toString()}`);
    report.check("ingest answered 2xx to every request", tally.count((s) => s >= 200 && s < 300) === tally.total, tally.toString());
    // Recovered = the events held back by the outage are delivered, and the pipeline evaluates.
    const drainedMs = await timeUntil("the outbox is drained", async () => (await outboxSince(db, since)).pending === 0, config.recoveryTargetSeconds * 1000, 1_000);
    const outbox = await outboxSince(db, since);
    report.observed(`outbox since the start: ${outbox.published} published, ${outbox.pending} pending, ${outbox.deadLettered} dead-lettered (drained ${(drainedMs / 1000).toFixed(1)} s after NATS was back)`);
    await awaitRecovery(config, db, report, tally.accepted);
    report.check("every event published during the outage was delivered", outbox.pending === 0 && outbox.published > 0, `${outbox.published} events`);
    report.check("no event was dead-lettered", outbox.deadLettered === 0, `${outbox.deadLettered} dead letters`);
  },
};
