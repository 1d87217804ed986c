import type { FaultTarget, ProcessName } from "./fault-target.js";
import { readyStatus, sleep } from "./observe.js";
import type { ExperimentReport } from "./report.js";

/**
 * Stops `name` for `seconds` and starts it again, whatever happens meanwhile; the fault ends when
 * it is back. With `readyOf`, that service's /ready is read 3 s into the outage and returned.
 */
export async function outage(target: FaultTarget, report: ExperimentReport, name: ProcessName, seconds: number, readyOf?: { service: string; url: string }): Promise<number | undefined> {
  const until = Date.now() + seconds * 1000;
  report.did(`stopped ${name} for ${seconds} s`);
  await target.act(name, "stop");
  let readyWhileDown: number | undefined;
  try {
    if (readyOf) {
      await sleep(Math.min(3_000, seconds * 1000));
      const ready = await readyStatus(readyOf.url);
      readyWhileDown = ready.status;
      report.observed(`${readyOf.service} /ready while ${name} is down: HTTP ${ready.status} ${JSON.stringify(ready.body.status ?? null)}`);
    }
    await sleep(Math.max(0, until - Date.now()));
  } finally {
    await target.act(name, "start");
    report.faultEnded();
    report.did(`started ${name} again`);
  }
  return readyWhileDown;
}
