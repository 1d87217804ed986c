// "--every 5m": a positive duration with a unit (ms, s, m, h), or plain seconds.

export class InvalidDurationError extends Error {
  constructor(readonly value: string) {
    super(`invalid duration "${value}" (examples: 30s, 5m, 1h, 1500ms, or a number of seconds)`);
    this.name = "InvalidDurationError";
  }
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as "5m", "30s", "1h", "250ms" or "90" (seconds). */
export function parseDuration(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) throw new InvalidDurationError(value);
  const ms = Number(match[1]) * (UNITS_MS[match[2] ?? "s"] ?? 1_000);
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidDurationError(value);
  return Math.round(ms);
}
