// Option parsers shared by the commands: commander reports their InvalidArgumentError as a
// usage error (exit code 2) naming the option.
import { InvalidArgumentError } from "commander";

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive whole number");
  return n;
}
