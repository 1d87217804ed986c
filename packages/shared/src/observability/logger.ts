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

/** A scheme, `//`, and the credentials before `@` (password after the first colon). */
const MULTI_HOST_URL = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/@:]*):[^/@]*@)?/i;

/**
 * Removes the password from a connection URL before it is shown. Multi-host URLs
 * (`redis-cluster://h1:7000,h2:7001`, `redis-sentinel://…`) are not WHATWG URLs, so they keep
 * their hosts and lose only the password.
 */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    const match = MULTI_HOST_URL.exec(url);
    if (!match) return "(unparseable url)";
    const credentials = match[2] === undefined ? "" : `${match[2]}:***@`;
    return `${match[1]}${credentials}${url.slice(match[0].length)}`;
  }
}

export type { Logger };
