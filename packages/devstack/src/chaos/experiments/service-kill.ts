// The suite's fault 1: kill -9 of each service process in turn; each comes back by itself
// (`make up` and compose restart it) and nothing accepted is lost or evaluated twice.
import type { Experiment } from "../experiment.js";
import { SERVICES } from "../fault-target.js";
import { awaitRecovery, httpStatus, sleep, steadyIngest, timeUntil } from "../observe.js";

export const serviceKill: Experiment = {
  name: "service_kill",
  summary: "kill -9 each of the five services in turn under steady ingest; each must be serving /health again, everything accepted evaluated once",
  async run({ config, target, report, db }) {
    const urls: Record<(typeof SERVICES)[number], string> = {
      ingest: config.urls.ingest,
      "claim-worker": config.urls.claimWorker,
      "outbox-processor": config.urls.outboxProcessor,
      orchestrator: config.urls.orchestrator,
      "metrics-collector": config.urls.metricsCollector,
    };
    const load = steadyIngest(config);
    report.did("started steady ingest (4 failures/s)");
    let slowest = 0;
    try {
      for (const service of SERVICES) {
        const before = await target.pid(service);
        report.did(`kill -9 ${service}${before ? ` (pid ${before})` : ""}`);
        await target.act(service, "kill");
        const tookMs = await timeUntil(
          `${service} serves /health again`,
          async () => (await httpStatus(`${urls[service]}/health`)) === 200 && (await target.pid(service)) !== before,
          config.recoveryTargetSeconds * 1000,
        );
        slowest = Math.max(slowest, tookMs);
        report.observed(`${service} is back${before ? ` as pid ${await target.pid(service)}` : ""} after ${(tookMs / 1000).toFixed(1)} s`);
        await sleep(2_000);
      }
    } finally {
      report.faultEnded();
    }
    const tally = await load.stop();
    report.observed(`ingest answers during the experiment: ${tally.toString()} (no answer = while ingest restarted)`);
    report.check("every service came back within the target", slowest < config.recoveryTargetSeconds * 1000, `slowest ${(slowest / 1000).toFixed(1)} s`);
    report.check("no answer was a 5xx", tally.count((s) => s >= 500) === 0, tally.toString());
    await awaitRecovery(config, db, report, tally.accepted);
  },
};
