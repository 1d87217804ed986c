/** How a command prints: one JSON document on stdout with --json, readable text otherwise. */
export interface Output {
  json: boolean;
  /** Prints `data` as JSON, or `text()` for people. */
  result(data: unknown, text: () => string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(data, text) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
    },
  };
}

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
