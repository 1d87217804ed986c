// Seed 003 "Redis Disconnect: kill Redis, verify fail-open", and the suite's "Redis stopped 60 s":
// ingest keeps answering 2xx through the DB fallback queue, and everything is evaluated after.
import type { Experiment } from "../experiment.js";
import { awaitRecovery, readyStatus, sleep, steadyIngest } from "../observe.js";

export const redisDisconnect: Experiment = {
  name: "redis_disconnect",
  summary: "stop Redis for CHAOS_OUTAGE_SECONDS under steady ingest; ingest must fail open (2xx through the DB fallback queue)",
  async run({ config, target, report, db }) {
    const load = steadyIngest(config);
    report.did("started steady ingest (4 failures/s)");
    await sleep(1_000);
    report.did(`stopped redis for ${config.outageSeconds} s`);
    await target.act("redis", "stop");
    let readyWhileDown: Awaited<ReturnType<typeof readyStatus>> | undefined;
    try {
      await sleep(Math.min(3_000, config.outageSeconds * 1000));
      readyWhileDown = await readyStatus(config.urls.ingest);
      report.observed(`ingest /ready while Redis is down: HTTP ${readyWhileDown.status} ${JSON.stringify(readyWhileDown.body.status ?? null)}`);
      await sleep(Math.max(0, config.outageSeconds * 1000 - 3_000));
    } finally {
      await target.act("redis", "start");
      report.faultEnded();
      report.did("started redis again");
    }
    const tally = await load.stop();
    report.observed(`ingest answers during the experiment: ${tally.toString()}`);
    report.check("ingest stayed ready (200, degraded) while Redis was down", readyWhileDown?.status === 200, `HTTP ${readyWhileDown?.status}`);
    report.check("ingest answered 2xx to every request (fail-open)", tally.count((s) => s >= 200 && s < 300) === tally.total && tally.total > 0, tally.toString());
    const fallback = await db.query<{ n: string }>("SELECT count(DISTINCT candidate_id) AS n FROM m10_recovery.work_queue WHERE candidate_id = ANY($1::int[])", [tally.accepted]);
    const queuedInDb = Number(fallback.rows[0]?.n ?? 0);
    report.observed(`${queuedInDb} of ${tally.accepted.length} accepted candidates went through the DB fallback queue`);
    report.check("the outage's candidates were queued in PostgreSQL", queuedInDb > 0, `${queuedInDb} candidates in m10_recovery.work_queue`);
    await awaitRecovery(config, db, report, tally.accepted);
  },
};
