// --every: one run per period until a stop is requested; a run that overruns the period is
// followed by the next one at once (never two at a time).
import { sleep } from "@m10/shared";
import type { RunReport } from "./run.js";

export interface LoopState {
  lastReport: RunReport | undefined;
  nextRunAt: Date | undefined;
  runs: number;
}

export async function runEvery(everyMs: number, signal: AbortSignal, runCycle: () => Promise<RunReport>, state: LoopState): Promise<void> {
  while (!signal.aborted) {
    const started = Date.now();
    state.nextRunAt = undefined;
    state.lastReport = await runCycle();
    state.runs += 1;
    const wait = Math.max(0, everyMs - (Date.now() - started));
    state.nextRunAt = new Date(Date.now() + wait);
    await sleep(wait, signal);
  }
}
