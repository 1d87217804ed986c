// Errors a handler throws; the one error handler (app.ts) turns them into problem+json answers.

export class ConsoleError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ConsoleError";
  }
}

export const badRequest = (code: string, message: string) => new ConsoleError(400, code, message);
export const notFound = (message: string) => new ConsoleError(404, "not_found", message);
