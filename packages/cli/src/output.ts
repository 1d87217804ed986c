/** How a command prints: one JSON document on stdout with --json, readable text otherwise. */
export interface Output {
  json: boolean;
  /**
   * Prints `data` as JSON, or `text()` for people. A non-zero `exitCode` marks the command failed
   * (the result is still printed: e.g. `redis check` shows what does not match).
   */
  result(data: unknown, text: () => string, exitCode?: number): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(data, text, exitCode = 0) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
      if (exitCode !== 0) process.exitCode = exitCode;
    },
  };
}

/** Exit codes: 0 done, 1 failed or refused, 2 usage or configuration, 3 lock held by another holder (try later). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_LOCK_HELD = 3;

/** A failure an operator can act on: printed without a stack trace, exit code 1 (or the given one). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CommandError";
  }
}
