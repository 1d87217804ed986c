// m10ctl redis check against the test Redis (no persistence) and a Redis with the handbook's settings.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createRedis, freePort, type DevServer } from "@m10/devstack";
import { testStack } from "@m10/devstack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { m10ctl, m10ctlJson } from "./support/m10ctl.js";

interface CheckReport {
  status: string;
  redis_url: string;
  nodes: { node: string; config: Record<string, string | null>; checks: { name: string; ok: boolean; actual: string | null; expected: string }[] }[];
  errors: string[];
  warnings: string[];
}

let durable: DevServer;

beforeAll(async () => {
  durable = await createRedis({ dir: mkdtempSync(join(testStack().dir, "durable-redis-")), port: await freePort(), durable: true });
});

afterAll(async () => {
  await durable?.stop();
});

describe("m10ctl redis check", () => {
  it("fails against a Redis without AOF and names what does not match", async () => {
    const run = await m10ctlJson<CheckReport>(["redis", "check"], { REDIS_URL: testStack().redisUrl });
    expect(run.code).toBe(1);
    expect(run.json.status).toBe("FAIL");
    expect(run.json.nodes[0]!.checks.find((c) => c.name === "appendonly")).toMatchObject({ ok: false, actual: "no", expected: "yes" });
    expect(run.json.errors.join("\n")).toContain("appendonly");
  });

  it("passes against a Redis started with the handbook's durable settings", async () => {
    const run = await m10ctlJson<CheckReport>(["redis", "check"], { REDIS_URL: durable.url });
    expect(run.code, run.stdout).toBe(0);
    expect(run.json.status).toBe("OK");
    expect(run.json.nodes[0]!.config).toMatchObject({ appendonly: "yes", appendfsync: "everysec", "maxmemory-policy": "noeviction", aof_enabled: "1" });
    expect(run.json.errors).toEqual([]);
    const text = await m10ctl(["redis", "check"], { REDIS_URL: durable.url });
    expect(text.stdout).toContain("status: OK");
  });

  it("warns about appendfsync always, and fails on it only with --strict", async () => {
    const url = durable.url;
    const { createRedisClient } = await import("@m10/shared");
    const client = createRedisClient(url, { enableOfflineQueue: true });
    try {
      await client.config("SET", "appendfsync", "always");
      const lenient = await m10ctlJson<CheckReport>(["redis", "check"], { REDIS_URL: url });
      expect(lenient.code).toBe(0);
      expect(lenient.json.status).toBe("WARN");
      const strict = await m10ctlJson<CheckReport>(["redis", "check", "--strict"], { REDIS_URL: url });
      expect(strict.code).toBe(1);
      expect(strict.json.status).toBe("FAIL (strict mode)");
    } finally {
      await client.config("SET", "appendfsync", "everysec");
      client.disconnect();
    }
  });

  it("fails with exit code 1 when Redis cannot be reached, with credentials masked", async () => {
    const run = await m10ctlJson<CheckReport>(["redis", "check"], { REDIS_URL: "redis://:secret@127.0.0.1:1/0" });
    expect(run.code).toBe(1);
    expect(run.json.status).toBe("FAIL");
    expect(run.json.redis_url).not.toContain("secret");
    expect(run.json.errors[0]).toContain("cannot check Redis");
  });
});
