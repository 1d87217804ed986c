// Steady ingest load, open loop: requests leave on schedule whatever the answers take, up to a
// bound of requests in flight (beyond it a request is skipped and counted, never queued without
// limit). The mix: new failures, repeats of accepted ones under a new key (one more occurrence),
// replays of an accepted request (same key: nothing counted) and small batches of all three.
// Every answer goes to the ledger and to the statistics of the phase that is running.
import { randomUUID } from "node:crypto";
import type { Answer, Intent, Ledger } from "./ledger.js";

const REQUEST_TIMEOUT_MS = 10_000;
const BATCH_SIZE = 5;
const ERROR_TYPES = ["TIMEOUT", "HTTP_5XX", "RATE_LIMITED", "PARSE_ERROR", "CONNECTION_ERROR", "TOOL_CRASHED"];
/** Accepted requests kept for repeats and replays. */
const RECENT_CAPACITY = 5_000;

/** Requests and answers of one phase (a fault, the warm-up or the drain). */
export interface PhaseStats {
  sent: number;
  accepted: number;
  /** Answers by HTTP status (and problem code), plus "network" (reset, refused) and "timeout". */
  byStatus: Record<string, number>;
  /** Requests the generator did not send because too many were in flight. */
  skipped: number;
  /** Requests in flight, the most seen. */
  inFlightPeak: number;
}

/** Per second of the run: answers that were 2xx and those that were not. */
export interface SecondBucket {
  ok: number;
  failed: number;
}

interface Sent {
  failureMatchId: string;
  key: string;
  intent: Intent;
  errorType: string;
}

export interface LoadOptions {
  rate: number;
  maxInFlight: number;
  token: string;
  targets: () => string[];
}

export interface LoadGenerator {
  /** Starts counting into a new phase's statistics. */
  phase(name: string): void;
  phases: Map<string, PhaseStats>;
  /** Second of the run (from the start) → answers. */
  seconds: Map<number, SecondBucket>;
  startedAt: number;
  stop(): Promise<void>;
}

function newStats(): PhaseStats {
  return { sent: 0, accepted: 0, byStatus: {}, skipped: 0, inFlightPeak: 0 };
}

function body(item: Sent): Record<string, unknown> {
  return {
    failure_match_id: item.failureMatchId,
    idempotency_key: item.key,
    failure_payload: { error_type: item.errorType, raw: `chaos ${item.errorType} in step ${item.failureMatchId.slice(0, 4)}` },
    source: "chaos",
  };
}

function itemAnswer(status: string | undefined): Answer {
  return status === "accepted" || status === "duplicate" || status === "rejected" ? status : "unknown";
}

export function startLoad(options: LoadOptions, ledger: Ledger): LoadGenerator {
  const recent: Sent[] = [];
  const startedAt = Date.now();
  let stats = newStats();
  let phaseName = "start";
  const generator: LoadGenerator = { phases: new Map([["start", stats]]), seconds: new Map(), startedAt, phase: () => undefined, stop: async () => undefined };
  generator.phase = (name) => {
    stats = newStats();
    phaseName = name;
    generator.phases.set(name, stats);
  };
  let inFlight = 0;
  let scheduled = 0;
  let next = 0;
  const pending = new Set<Promise<void>>();

  const pick = (intent: Intent): Sent => {
    const known = recent.length > 0 ? recent[Math.floor(Math.random() * recent.length)] : undefined;
    if (intent === "new" || !known) {
      return { failureMatchId: randomUUID(), key: randomUUID(), intent: "new", errorType: ERROR_TYPES[Math.floor(Math.random() * ERROR_TYPES.length)] ?? "TIMEOUT" };
    }
    return intent === "repeat" ? { ...known, key: randomUUID(), intent } : { ...known, intent };
  };
  const remember = (item: Sent, answer: Answer) => {
    if (answer !== "accepted" && answer !== "duplicate") return;
    const kept = { ...item, intent: "replay" as const };
    if (recent.length < RECENT_CAPACITY) recent.push(kept);
    else recent[Math.floor(Math.random() * RECENT_CAPACITY)] = kept;
  };
  const count = (phase: PhaseStats, label: string, ok: boolean) => {
    phase.byStatus[label] = (phase.byStatus[label] ?? 0) + 1;
    if (ok) phase.accepted += 1;
    const second = Math.floor((Date.now() - startedAt) / 1000);
    const bucket = generator.seconds.get(second) ?? { ok: 0, failed: 0 };
    if (ok) bucket.ok += 1;
    else bucket.failed += 1;
    generator.seconds.set(second, bucket);
  };

  const send = async (phase: PhaseStats, name: string, base: string, items: Sent[], batch: boolean) => {
    let label: string;
    let answers: Answer[];
    try {
      const response = await fetch(`${base}/api/v1/recovery/${batch ? "ingest/batch" : "ingest"}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
        body: JSON.stringify(batch ? { items: items.map(body) } : body(items[0] as Sent)),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const json = (await response.json().catch(() => ({}))) as { status?: string; code?: string; results?: { status?: string }[] };
      // A refusal is labelled with its problem code too ("503 database_unavailable").
      label = response.ok || !json.code ? String(response.status) : `${response.status} ${json.code}`;
      if (response.status >= 200 && response.status < 300) {
        answers = batch ? items.map((_, i) => itemAnswer(json.results?.[i]?.status)) : [itemAnswer(json.status)];
      } else {
        answers = items.map(() => (response.status >= 500 ? "unknown" : "refused"));
      }
    } catch (error) {
      label = error instanceof Error && error.name === "TimeoutError" ? "timeout" : "network";
      answers = items.map(() => "unknown");
    }
    count(phase, label, label.startsWith("2"));
    items.forEach((item, i) => {
      const answer = answers[i] ?? "unknown";
      ledger.record(item.failureMatchId, item.intent, answer, name);
      remember(item, answer);
    });
  };

  const fire = () => {
    const targets = options.targets();
    const phase = stats;
    if (targets.length === 0 || inFlight >= options.maxInFlight) {
      phase.skipped += 1;
      return;
    }
    const base = targets[next++ % targets.length] as string;
    const roll = Math.random();
    const batch = roll >= 0.9;
    const items = batch
      ? [pick("new"), pick("new"), pick("new"), pick("repeat"), pick("replay")].slice(0, BATCH_SIZE)
      : [pick(roll < 0.6 ? "new" : roll < 0.8 ? "repeat" : "replay")];
    phase.sent += 1;
    inFlight += 1;
    phase.inFlightPeak = Math.max(phase.inFlightPeak, inFlight);
    const request = send(phase, phaseName, base, items, batch).finally(() => {
      inFlight -= 1;
      pending.delete(request);
    });
    pending.add(request);
  };

  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * options.rate);
    for (; scheduled < due; scheduled++) fire();
  }, 20);
  generator.stop = async () => {
    clearInterval(timer);
    await Promise.all([...pending]);
  };
  return generator;
}
