import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** A holder/consumer id of the form host:pid:rand (8 hex), unique per process start. */
export function holderId(host: string = hostname()): string {
  return `${host}:${process.pid}:${randomBytes(4).toString("hex")}`;
}
