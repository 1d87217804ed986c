import { randomBytes } from "node:crypto";

/** The Redis names of the evaluation stream: the same shape as @m10/shared's StreamKeys (devstack cannot import shared). */
export interface TestStreamKeys {
  stream: string;
  group: string;
  deadLetter: string;
}

/** Stream, group and dead-letter keys of this test alone, so tests never share Redis state. */
export function uniqueStreamKeys(): TestStreamKeys {
  const prefix = `test:${randomBytes(4).toString("hex")}`;
  return { stream: `${prefix}:stream`, group: `${prefix}:group`, deadLetter: `${prefix}:dead-letter` };
}

/** The environment variables that point a service or m10ctl at `keys`. */
export function streamKeysEnv(keys: TestStreamKeys): { M10_STREAM_KEY: string; M10_CONSUMER_GROUP: string; M10_DEAD_LETTER_STREAM: string } {
  return { M10_STREAM_KEY: keys.stream, M10_CONSUMER_GROUP: keys.group, M10_DEAD_LETTER_STREAM: keys.deadLetter };
}
