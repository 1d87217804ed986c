// The suite's fault 7: a claim worker cut off past its lease (SIGSTOP, then SIGCONT). A second
// worker takes its pending stream entries over while it still thinks it holds them; when it
// resumes, its late writes must not evaluate anything a second time.
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../ports.js";
import { repositoryRoot } from "../../up.js";
import type { Experiment } from "../experiment.js";
import { awaitRecovery, httpStatus, sleep, steadyIngest, timeUntil, unevaluated } from "../observe.js";

export const workerPause: Experiment = {
  name: "worker_pause",
  summary: "SIGSTOP the claim worker past its claim idle time while a second worker runs, then SIGCONT; everything evaluated exactly once",
  async run({ config, target, report, db }) {
    const pauseSeconds = config.pauseSeconds || config.claimIdleMs / 1000 + 15;
    const port = await freePort();
    const logFile = join(tmpdir(), `m10-chaos-claim-worker-${port}.log`);
    const second = spawn(process.execPath, [join(repositoryRoot(), "services/claim-worker/bin/m10-claim-worker.js")], {
      env: { ...config.processEnv, M10_HEALTH_PORT: String(port), PORT: String(port) },
      stdio: ["ignore", openSync(logFile, "a"), openSync(logFile, "a")],
    });
    const secondExited = new Promise<void>((resolve) => second.once("exit", () => resolve()));
    try {
      await timeUntil("the second claim worker serves /health", async () => (await httpStatus(`http://127.0.0.1:${port}/health`)) === 200, 60_000);
      report.did(`started a second claim worker (pid ${second.pid}, log ${logFile})`);
      const load = steadyIngest(config);
      report.did("started steady ingest (4 failures/s)");
      await sleep(2_000);
      report.did(`paused claim-worker (SIGSTOP) for ${pauseSeconds} s, past its claim idle time of ${config.claimIdleMs / 1000} s`);
      await target.act("claim-worker", "pause");
      let backlogDuringPause = -1;
      try {
        await sleep(pauseSeconds * 1000 - 5_000);
        backlogDuringPause = await unevaluated(db, load.tally.accepted.slice(0, -20));
      } finally {
        await sleep(Math.min(5_000, pauseSeconds * 1000));
        await target.act("claim-worker", "resume");
        report.faultEnded();
        report.did("resumed claim-worker (SIGCONT)");
      }
      await sleep(5_000);
      const tally = await load.stop();
      report.observed(`ingest answers during the experiment: ${tally.toString()}`);
      report.observed(`${backlogDuringPause} candidates (older than the last 5 s) were unevaluated late in the pause`);
      report.check("evaluation went on while the worker was paused", backlogDuringPause === 0, `${backlogDuringPause} waiting`);
      report.check("ingest answered 2xx to every request", tally.count((s) => s >= 200 && s < 300) === tally.total, tally.toString());
      await awaitRecovery(config, db, report, tally.accepted);
    } finally {
      second.kill("SIGTERM");
      await Promise.race([secondExited, sleep(30_000)]);
      if (second.exitCode === null && second.signalCode === null) second.kill("SIGKILL");
      report.did("stopped the second claim worker");
    }
  },
};
