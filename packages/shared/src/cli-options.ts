// Parsers for numeric command-line options, shared by every M10 command (services and m10ctl), so
// a bad value reads the same everywhere: "error: option '--batch-size <n>' argument '0' is invalid.
// must be a whole number of at least 1".
import { InvalidArgumentError } from "commander";

/** A whole number >= 1 (counts, batch sizes, concurrency). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return n;
}

/** A number of seconds above 0 (fractions allowed). */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number of seconds above 0");
  return n;
}

/** A number of seconds, 0 or more (0 = no pause). */
export function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("must be a number of seconds, 0 or more");
  return n;
}

/** A TCP port, 0..65535 (0 = any free port). */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("must be a port number 0..65535");
  return n;
}
