// Seed 003 "Redis Disconnect: kill Redis, verify fail-open", and the suite's "Redis stopped 60 s":
// ingest keeps answering 2xx through the DB fallback queue, and everything is evaluated after.
import type { Experiment } from "../experiment.js";
import { awaitRecovery, sleep, steadyIngest } from "../observe.js";
import { outage } from "../outage.js";

export const redisDisconnect: Experiment = {
  name: "redis_disconnect",
  summary: "stop Redis for CHAOS_OUTAGE_SECONDS under steady ingest; ingest must fail open (2xx through the DB fallback queue)",
  async run({ config, target, report, db }) {
    const load = steadyIngest(config);
    report.did("started steady ingest (4 failures/s)");
    await sleep(1_000);
    const readyWhileDown = await outage(target, report, "redis", config.outageSeconds, { service: "ingest", url: config.urls.ingest });
    const tally = await load.stop();
    report.observed(`ingest answers during the experiment: ${tally.toString()}`);
    report.check("ingest stayed ready (200, degraded) while Redis was down", readyWhileDown === 200, `HTTP ${readyWhileDown}`);
    report.check("ingest answered 2xx to every request (fail-open)", tally.count((s) => s >= 200 && s < 300) === tally.total && tally.total > 0, tally.toString());
    const fallback = await db.query<{ n: string }>("SELECT count(DISTINCT candidate_id) AS n FROM m10_recovery.work_queue WHERE candidate_id = ANY($1::int[])", [tally.accepted]);
    const queuedInDb = Number(fallback.rows[0]?.n ?? 0);
    report.observed(`${queuedInDb} of ${tally.accepted.length} accepted candidates went through the DB fallback queue`);
    report.check("the outage's candidates were queued in PostgreSQL", queuedInDb > 0, `${queuedInDb} candidates in m10_recovery.work_queue`);
    await awaitRecovery(config, db, report, tally.accepted);
  },
};
