// Evaluates the candidates behind a batch of queue entries (docs/architecture.md §1, evaluate and write):
//   1. lease them (committed at once; SKIP LOCKED), and find out why the others were not leased;
//   2. read the history of their error codes, run the rule engine, look up the actions;
//   3. in ONE transaction write every evaluation (candidate fields, inputs, provenance, outbox)
//      and complete the batch's work_queue rows whose candidate is now done.
// A batch that fails is retried candidate by candidate, so one poison candidate fails alone.
import { performance } from "node:perf_hooks";
import {
  completeWorkMany,
  isDatabaseUnavailable,
  type Logger,
  type OutboxEventInput,
  type Pool,
  TransactionCancelledError,
  withTransaction,
} from "@m10/shared";
import { EvaluationCancelledError } from "../errors.js";
import type { QueueEntry } from "../queue-entry.js";
import { loadActions } from "./actions.js";
import { claimEvaluationLeases, type LeasedCandidate, releaseEvaluationLeases, unclaimedStates } from "./candidate-lease.js";
import { historyKey, type HistoryKey, loadHistory } from "./history.js";
import { planEvaluation, runRules, type EvaluationPlan } from "./plan.js";
import { writeEvaluations } from "./write.js";

export type CandidateOutcome =
  | { status: "evaluated"; plan: EvaluationPlan }
  /** Nothing to do: acknowledge the entries. */
  | { status: "skipped"; reason: "gone" | "evaluated" }
  /** Leased by another holder or row-locked right now: leave the entries for a later delivery. */
  | { status: "busy" }
  | { status: "failed"; error: unknown };

export interface BatchEvaluation {
  outcomes: Map<number, CandidateOutcome>;
  events: OutboxEventInput[];
  /** work_queue rows completed inside the evaluation transaction. */
  completedWorkIds: Set<number>;
  /** Seconds spent computing suggestions (rules + action lookup), per evaluated candidate. */
  computeSecondsPerCandidate: number;
}

export interface EvaluatorSettings {
  holder: string;
  leaseMs: number;
  historyLimit: number;
  autoExecuteMinConfidence: number;
}

export interface Evaluator {
  /** Never throws: a failure becomes a `failed` outcome for the candidates it concerns. */
  evaluateEntries(entries: readonly QueueEntry[], signal: AbortSignal): Promise<BatchEvaluation>;
}

function groupByCandidate(entries: readonly QueueEntry[]): Map<number, QueueEntry[]> {
  const groups = new Map<number, QueueEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.candidateId);
    if (group) group.push(entry);
    else groups.set(entry.candidateId, [entry]);
  }
  return groups;
}

export function createEvaluator(pool: Pool, settings: EvaluatorSettings, logger: Logger): Evaluator {
  async function evaluateOnce(entries: readonly QueueEntry[], signal: AbortSignal): Promise<BatchEvaluation> {
    const groups = groupByCandidate(entries);
    const ids = [...groups.keys()];
    const leased = await claimEvaluationLeases(pool, ids, settings.holder, settings.leaseMs);
    const leasedIds = leased.map((candidate) => candidate.id);
    try {
      const leasedSet = new Set(leasedIds);
      const states = await unclaimedStates(
        pool,
        ids.filter((id) => !leasedSet.has(id)),
      );

      const computeStarted = performance.now();
      const keyOf = (candidate: LeasedCandidate): HistoryKey | undefined =>
        candidate.error_code === null ? undefined : { tenantId: candidate.tenant_id, errorCode: candidate.error_code };
      const keys = new Map(leased.flatMap((candidate) => { const key = keyOf(candidate); return key ? [[historyKey(key), key] as const] : []; }));
      const history = await loadHistory(pool, [...keys.values()], settings.historyLimit);
      const verdicts = leased.map((candidate) => {
        const key = keyOf(candidate);
        return runRules(candidate, (groups.get(candidate.id) as QueueEntry[])[0] as QueueEntry, key ? (history.get(historyKey(key)) ?? []) : []);
      });
      const actionCodes = [...new Set(verdicts.map((v) => v.result.actionCode).filter((code): code is string => code !== null))];
      const actions = await loadActions(pool, actionCodes);
      const plans = verdicts.map((verdict) =>
        planEvaluation(verdict, verdict.result.actionCode ? (actions.get(verdict.result.actionCode) ?? null) : null, {
          autoExecuteMinConfidence: settings.autoExecuteMinConfidence,
          actor: settings.holder,
        }),
      );
      const computeSeconds = (performance.now() - computeStarted) / 1000;

      const skipped = new Set([...states].filter(([, state]) => state !== "busy").map(([id]) => id));
      const { written, events, completedWorkIds } = await withTransaction(pool, async (client) => {
        const result = await writeEvaluations(client, plans, settings.holder);
        const done = (id: number) => result.written.has(id) || skipped.has(id);
        const workIds = entries.filter((entry) => entry.work && done(entry.candidateId)).map((entry) => (entry.work as { workId: number }).workId);
        const completed = await completeWorkMany(client, settings.holder, workIds);
        return { ...result, completedWorkIds: new Set(completed) };
      }, { signal }).catch((error: unknown) => {
        throw error instanceof TransactionCancelledError ? new EvaluationCancelledError(error.cause) : error;
      });

      // Leased but not written: another batch or worker evaluated it while we were (most often a
      // duplicate queue entry evaluated concurrently). If so, this entry is done too.
      const lost = leasedIds.filter((id) => !written.has(id));
      for (const [id, state] of await unclaimedStates(pool, lost)) states.set(id, state);

      const outcomes = new Map<number, CandidateOutcome>();
      const planById = new Map(plans.map((plan) => [plan.candidateId, plan]));
      for (const id of ids) {
        const state = states.get(id);
        const plan = planById.get(id);
        if (plan && written.has(id)) outcomes.set(id, { status: "evaluated", plan });
        else if (state === "gone" || state === "evaluated") outcomes.set(id, { status: "skipped", reason: state });
        else outcomes.set(id, { status: "busy" });
      }
      return {
        outcomes,
        events,
        completedWorkIds,
        computeSecondsPerCandidate: leased.length > 0 ? computeSeconds / leased.length : 0,
      };
    } catch (error) {
      // Let another delivery (ours or another worker's) have these candidates without waiting for the lease to expire.
      await releaseEvaluationLeases(pool, settings.holder, leasedIds).catch((releaseError: unknown) =>
        logger.warn({ err: releaseError }, "evaluation.lease_release_failed"),
      );
      throw error;
    }
  }

  function allFailed(entries: readonly QueueEntry[], error: unknown): BatchEvaluation {
    const outcomes = new Map<number, CandidateOutcome>();
    for (const entry of entries) outcomes.set(entry.candidateId, { status: "failed", error });
    return { outcomes, events: [], completedWorkIds: new Set(), computeSecondsPerCandidate: 0 };
  }

  return {
    async evaluateEntries(entries, signal) {
      try {
        return await evaluateOnce(entries, signal);
      } catch (error) {
        const groups = groupByCandidate(entries);
        if (groups.size === 1 || isDatabaseUnavailable(error) || error instanceof EvaluationCancelledError) {
          logger.warn({ err: error, candidates: groups.size }, "evaluation.batch_failed");
          return allFailed(entries, error);
        }
        // Isolate the candidate(s) that fail, so the rest of the batch is not held back by them.
        logger.warn({ err: error, candidates: groups.size }, "evaluation.batch_failed_isolating");
        const merged: BatchEvaluation = { outcomes: new Map(), events: [], completedWorkIds: new Set(), computeSecondsPerCandidate: 0 };
        let evaluated = 0;
        let computeSeconds = 0;
        for (const [candidateId, group] of groups) {
          let single: BatchEvaluation;
          try {
            if (signal.aborted) throw new EvaluationCancelledError(signal.reason);
            single = await evaluateOnce(group, signal);
          } catch (singleError) {
            logger.warn({ err: singleError, candidateId }, "evaluation.candidate_failed");
            single = allFailed(group, singleError);
          }
          for (const [id, outcome] of single.outcomes) merged.outcomes.set(id, outcome);
          merged.events.push(...single.events);
          for (const workId of single.completedWorkIds) merged.completedWorkIds.add(workId);
          const count = [...single.outcomes.values()].filter((o) => o.status === "evaluated").length;
          evaluated += count;
          computeSeconds += single.computeSecondsPerCandidate * count;
        }
        merged.computeSecondsPerCandidate = evaluated > 0 ? computeSeconds / evaluated : 0;
        return merged;
      }
    },
  };
}
