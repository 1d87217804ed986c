// The claim worker's named errors.

/** The transaction was cancelled because the shutdown deadline passed before it finished. */
export class EvaluationCancelledError extends Error {
  constructor(cause?: unknown) {
    super("evaluation cancelled: shutdown deadline reached", { cause });
    this.name = "EvaluationCancelledError";
  }
}

/** A flag or setting that cannot work (e.g. a lease longer than the reclaim idle time). */
export class WorkerSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerSettingsError";
  }
}
