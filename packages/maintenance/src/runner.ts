// Runs one piece of maintenance work under a distributed lock: acquire_lock with a TTL longer than
// the timeout, extend_lock while it runs, release_lock afterwards. Another holder → "skipped" with
// that holder. A timeout or a lost lock aborts the work's signal; work that ignores the signal is
// abandoned after a grace period and its lock is left to expire (never released under it).
import type { Logger } from "pino";
import { acquireLock, extendLock, lockHolder, type LockRow, type Queryable, releaseLock, withTimeout } from "@m10/shared";

export class TaskTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${Number((timeoutMs / 1000).toFixed(3))}s`);
    this.name = "TaskTimeoutError";
  }
}

export class LockLostError extends Error {
  constructor(readonly lockName: string) {
    super(`lost lock ${lockName} while running (extend_lock refused: it expired and another holder took it)`);
    this.name = "LockLostError";
  }
}

export class StopRequestedError extends Error {
  constructor(reason: string) {
    super(`stopped: ${reason}`);
    this.name = "StopRequestedError";
  }
}

/** Lock events, for metrics (the orchestrator counts them; m10ctl does not export metrics). */
export interface LockObserver {
  acquired?(lockName: string): void;
  contended?(lockName: string): void;
  released?(lockName: string, heldSeconds: number): void;
}

export interface SuperviseOptions {
  timeoutMs: number;
  /** How long work that ignores its aborted signal may keep running before it is abandoned. Default 5 s. */
  graceMs?: number;
  /** Stop request from outside (SIGTERM). */
  signal?: AbortSignal;
}

export interface ExclusiveOptions extends SuperviseOptions {
  db: Queryable;
  lockName: string;
  holder: string;
  /** Must exceed timeoutMs / 1000 (see lockTtlSeconds). */
  ttlSeconds: number;
  /** Default: a third of the TTL. */
  extendEveryMs?: number;
  logger: Logger;
  observer?: LockObserver;
}

export interface Supervised<T> {
  value: T | undefined;
  error: Error | undefined;
  /** The work did not stop within the grace period after its signal was aborted. */
  abandoned: boolean;
}

export type ExclusiveOutcome<T> =
  | { status: "skipped"; lockName: string; holder: LockRow | undefined }
  | ({ status: "ran"; lockName: string; heldSeconds: number } & Supervised<T>);

const ABORTED = Symbol("aborted");
const GRACE_OVER: unique symbol = Symbol("grace-over");

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function abortReason(signal: AbortSignal): Error {
  return asError(signal.reason ?? new StopRequestedError("aborted"));
}

function whenAborted(signal: AbortSignal): { promise: Promise<typeof ABORTED>; dispose: () => void } {
  let dispose = () => undefined as void;
  const promise = new Promise<typeof ABORTED>((resolve) => {
    if (signal.aborted) return resolve(ABORTED);
    const listener = () => resolve(ABORTED);
    signal.addEventListener("abort", listener, { once: true });
    dispose = () => signal.removeEventListener("abort", listener);
  });
  return { promise, dispose };
}

/**
 * Runs `work` with a timeout: the signal passed to it aborts on timeout, on `options.signal` or
 * when the caller's controller aborts it. The result carries the work's value when it returned
 * one (even after an abort, e.g. partial progress) and the error (the abort reason wins).
 */
export async function supervise<T>(
  work: (signal: AbortSignal) => Promise<T>,
  options: SuperviseOptions,
  controller: AbortController = new AbortController(),
): Promise<Supervised<T>> {
  const onOuterAbort = () => controller.abort(new StopRequestedError(String(options.signal?.reason ?? "stop requested")));
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new TaskTimeoutError(options.timeoutMs)), options.timeoutMs);
  const settled = Promise.resolve()
    .then(() => work(controller.signal))
    .then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error: asError(error) }),
    );
  const aborted = whenAborted(controller.signal);
  try {
    const first = await Promise.race([settled, aborted.promise]);
    if (first !== ABORTED) {
      const error = controller.signal.aborted ? abortReason(controller.signal) : first.ok ? undefined : first.error;
      return { value: first.ok ? first.value : undefined, error, abandoned: false };
    }
    // `settled` never rejects, so a rejection here is the grace period running out.
    const late = await withTimeout(settled, options.graceMs ?? 5_000, "grace period").catch((): typeof GRACE_OVER => GRACE_OVER);
    if (late === GRACE_OVER) return { value: undefined, error: abortReason(controller.signal), abandoned: true };
    return { value: late.ok ? late.value : undefined, error: abortReason(controller.signal), abandoned: false };
  } finally {
    clearTimeout(timer);
    aborted.dispose();
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/** Runs `work` while holding `lockName`, or reports who holds it. */
export async function runExclusive<T>(options: ExclusiveOptions, work: (signal: AbortSignal) => Promise<T>): Promise<ExclusiveOutcome<T>> {
  const { db, lockName, holder, ttlSeconds, logger } = options;
  if (!(await acquireLock(db, lockName, holder, ttlSeconds))) {
    const current = await lockHolder(db, lockName);
    options.observer?.contended?.(lockName);
    logger.info({ lockName, heldBy: current?.holder_id, expiresAt: current?.expires_at }, "lock.held_elsewhere");
    return { status: "skipped", lockName, holder: current };
  }
  options.observer?.acquired?.(lockName);
  const acquiredAt = Date.now();
  const controller = new AbortController();
  let extending: Promise<void> | undefined;
  const extendEveryMs = options.extendEveryMs ?? Math.max(200, Math.floor((ttlSeconds * 1000) / 3));
  const interval = setInterval(() => {
    if (extending) return;
    extending = extendLock(db, lockName, holder, ttlSeconds)
      .then(
        (ok) => {
          if (!ok) controller.abort(new LockLostError(lockName));
        },
        (error: unknown) => logger.warn({ err: error, lockName }, "lock.extend_failed"),
      )
      .finally(() => {
        extending = undefined;
      });
  }, extendEveryMs);

  let result: Supervised<T>;
  try {
    result = await supervise(work, options, controller);
  } finally {
    clearInterval(interval);
    await extending;
  }
  const heldSeconds = (Date.now() - acquiredAt) / 1000;
  if (result.abandoned) {
    // The work may still be changing things: keep the lock until its TTL runs out.
    logger.error({ lockName, ttlSeconds }, "lock.left_to_expire");
  } else if (!(result.error instanceof LockLostError)) {
    try {
      if (await releaseLock(db, lockName, holder)) options.observer?.released?.(lockName, heldSeconds);
    } catch (error) {
      logger.warn({ err: error, lockName }, "lock.release_failed");
    }
  }
  return { status: "ran", lockName, heldSeconds, ...result };
}

/** "Lock <name> held by <holder> until <time>": the skip reason operators see. */
export function describeHolder(lockName: string, holder: LockRow | undefined): string {
  if (!holder) return `Lock ${lockName} held by another instance (released while checking)`;
  return `Lock ${lockName} held by ${holder.holder_id} until ${holder.expires_at.toISOString()}`;
}
