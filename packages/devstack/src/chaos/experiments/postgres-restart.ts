// The suite's fault 3: PostgreSQL restarted under steady ingest. Ingest answers 503 with
// Retry-After while it is down (never another 5xx), and every service carries on without a restart.
import type { Experiment } from "../experiment.js";
import { SERVICES } from "../fault-target.js";
import { awaitRecovery, sleep, steadyIngest } from "../observe.js";
import { outage } from "../outage.js";

export const postgresRestart: Experiment = {
  name: "postgres_restart",
  summary: "stop PostgreSQL (fast shutdown) for 10 s and start it again under steady ingest; 503 + Retry-After while down, no service restarts",
  async run({ config, target, report, db }) {
    const pidsBefore = await Promise.all(SERVICES.map((s) => target.pid(s)));
    const load = steadyIngest(config);
    report.did("started steady ingest (4 failures/s)");
    await sleep(1_000);
    await outage(target, report, "postgres", 10);
    const tally = await load.stop();
    report.observed(`ingest answers during the experiment: ${tally.toString()}`);
    report.check("ingest answered 503 while PostgreSQL was down", tally.count((s) => s === 503) > 0, tally.toString());
    report.check("no answer was a 5xx other than 503", tally.count((s) => s >= 500 && s !== 503) === 0, tally.toString());
    report.check("every 503 carried Retry-After", tally.bare503 === 0, `${tally.bare503} without`);
    await awaitRecovery(config, db, report, tally.accepted);
    const pidsAfter = await Promise.all(SERVICES.map((s) => target.pid(s)));
    const restarted = SERVICES.filter((_, i) => pidsBefore[i] !== pidsAfter[i]);
    if (pidsBefore.some((pid) => pid !== undefined)) {
      report.check("no service process was restarted", restarted.length === 0, restarted.join(", "));
    } else {
      report.observed("process ids are not visible through this target; not checked for restarts");
    }
  },
};
