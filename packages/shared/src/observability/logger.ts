import pino, { type Logger } from "pino";

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  'req.headers["x-machine-token"]',
  "headers.authorization",
  'headers["x-machine-token"]',
  "DATABASE_URL",
  "*.DATABASE_URL",
  "REDIS_URL",
  "*.REDIS_URL",
];

/** Structured JSON logs on stderr (stdout stays free for --json output). */
export function createLogger(service: string, level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service, pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream,
  );
}

/** Removes the password from a connection URL before it is shown. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable url)";
  }
}

export type { Logger };
