// devstack's Sentinel setup fails over for real: the replica becomes master after kill -9, and a
// client on the redis-sentinel:// URL writes to it.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { startRedisSentinel } from "@m10/devstack";
import { testStack, waitUntil } from "@m10/devstack/testing";
import { createRedisClient } from "@m10/shared";
import { describe, expect, it } from "vitest";

describe("devstack startRedisSentinel", () => {
  it("promotes the replica after the master is killed, and a sentinel client writes to the new master", async () => {
    const setup = await startRedisSentinel({ dir: mkdtempSync(join(testStack().dir, "sentinel-")) });
    const client = createRedisClient(setup.url);
    // The refused connections to the dead master are expected here; the assertions say what matters.
    client.on("error", () => undefined);
    try {
      expect(await setup.currentMasterPort()).toBe(setup.master.port);
      await waitUntil("the client connected through the sentinels", async () => (await client.set("before", "1")) === "OK");
      // WAIT: the write reached the replica, so the failover must keep it.
      expect(await client.call("WAIT", "1", "10000")).toBe(1);
      await setup.master.kill();
      await waitUntil("the sentinels promote the replica", async () => (await setup.currentMasterPort()) === setup.replica.port, { timeoutMs: 60_000 });
      await waitUntil("the client writes to the new master", async () => (await client.set("after", "2")) === "OK", { timeoutMs: 60_000 });
      expect(await client.get("before")).toBe("1");
    } finally {
      client.disconnect();
      await setup.stop();
    }
  });
});
