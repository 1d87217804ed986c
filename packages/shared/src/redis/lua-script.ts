import { createHash } from "node:crypto";
import type { RedisClient } from "./client.js";

/**
 * A Lua script loaded once per Redis server and called by SHA: EVALSHA, and on NOSCRIPT (first
 * call, or after a Redis restart or SCRIPT FLUSH) one EVAL, which also caches it again.
 * The source is a TypeScript string constant, so the build needs no asset copying.
 */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

export function defineLuaScript(name: string, source: string): LuaScript {
  const sha = createHash("sha1").update(source).digest("hex");
  return {
    name,
    source,
    sha,
    async run(redis, keys, args) {
      const argv = [...keys, ...args.map(String)];
      try {
        return await redis.evalsha(sha, keys.length, ...argv);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return redis.eval(source, keys.length, ...argv);
      }
    },
  };
}
