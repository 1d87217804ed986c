// The task runner: locks, extension, timeouts, and one task run as a TaskResult.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LockLostError, runExclusive, TaskTimeoutError } from "../src/runner.js";
import { runMaintenanceTask } from "../src/task-run.js";
import { useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();
const me = () => ({ db: environment.db, holder: "me", logger: environment.logger });

async function lock(name: string): Promise<{ holder_id: string; expires_in: number } | undefined> {
  const result = await environment.db.query<{ holder_id: string; expires_in: number }>(
    "SELECT holder_id, extract(epoch FROM expires_at - now())::float8 AS expires_in FROM m10_recovery.distributed_locks WHERE lock_name = $1",
    [name],
  );
  return result.rows[0];
}

describe("runExclusive", () => {
  it("holds the lock while the work runs, extends it past its first TTL, and releases it afterwards", async () => {
    const seen: { holder_id: string; expires_in: number }[] = [];
    const outcome = await runExclusive(
      { ...me(), lockName: "test:extend", ttlSeconds: 1, extendEveryMs: 200, timeoutMs: 10_000 },
      async () => {
        for (let i = 0; i < 3; i++) {
          await sleep(600);
          const row = await lock("test:extend");
          if (row) seen.push(row);
        }
        return "done";
      },
    );
    expect(outcome).toMatchObject({ status: "ran", value: "done", error: undefined });
    // 1.8 s of work under a 1 s TTL: still held by us each time we looked, because it was extended.
    expect(seen).toHaveLength(3);
    expect(seen.every((row) => row.holder_id === "me" && row.expires_in > 0)).toBe(true);
    expect(await lock("test:extend")).toBeUndefined();
  });

  it("reports skipped with the current holder and never runs the work when another holder has the lock", async () => {
    await environment.db.query("SELECT m10_recovery.acquire_lock('test:busy', 'someone-else', 60)");
    let ran = false;
    const outcome = await runExclusive({ ...me(), lockName: "test:busy", ttlSeconds: 10, timeoutMs: 1_000 }, async () => {
      ran = true;
    });
    expect(ran).toBe(false);
    expect(outcome.status).toBe("skipped");
    expect(outcome.status === "skipped" && outcome.holder?.holder_id).toBe("someone-else");
  });

  it("aborts the work on timeout, reports the timeout and releases the lock", async () => {
    const outcome = await runExclusive({ ...me(), lockName: "test:timeout", ttlSeconds: 10, timeoutMs: 300 }, async (signal) => {
      await sleep(5_000, undefined, { signal }).catch(() => undefined);
      return signal.aborted ? "noticed" : "finished";
    });
    expect(outcome.status).toBe("ran");
    if (outcome.status !== "ran") return;
    expect(outcome.error).toBeInstanceOf(TaskTimeoutError);
    expect(outcome.value).toBe("noticed");
    expect(await lock("test:timeout")).toBeUndefined();
  });

  it("leaves the lock to expire when the work ignores the timeout", async () => {
    let finish: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => (finish = resolve));
    const outcome = await runExclusive({ ...me(), lockName: "test:stuck", ttlSeconds: 30, timeoutMs: 200, graceMs: 200 }, () => stuck);
    expect(outcome).toMatchObject({ status: "ran", abandoned: true });
    expect((await lock("test:stuck"))?.holder_id).toBe("me");
    finish();
  });

  it("aborts the work when the lock is lost to another holder", async () => {
    const outcome = await runExclusive(
      { ...me(), lockName: "test:lost", ttlSeconds: 1, extendEveryMs: 100, timeoutMs: 5_000 },
      async (signal) => {
        await environment.db.query("UPDATE m10_recovery.distributed_locks SET holder_id = 'thief' WHERE lock_name = 'test:lost'");
        await sleep(3_000, undefined, { signal }).catch(() => undefined);
      },
    );
    expect(outcome.status === "ran" && outcome.error).toBeInstanceOf(LockLostError);
    expect((await lock("test:lost"))?.holder_id).toBe("thief");
  });
});

describe("runMaintenanceTask", () => {
  it("takes no lock in a dry run", async () => {
    const result = await runMaintenanceTask(
      { ...me(), name: "retention", lockName: "test:dry", timeoutSeconds: 5, ttlSeconds: 10, dryRun: true },
      async () => ({ seen: (await lock("test:dry")) ?? null }),
    );
    expect(result).toMatchObject({ success: true, skipped: false, details: { seen: null } });
  });

  it("turns a thrown error into a failed result with its message", async () => {
    const result = await runMaintenanceTask(
      { ...me(), name: "retention", lockName: "test:error", timeoutSeconds: 5, ttlSeconds: 10, dryRun: false },
      async () => {
        throw new Error("boom");
      },
    );
    expect(result).toMatchObject({ name: "retention", success: false, skipped: false, error: "boom" });
    expect(await lock("test:error")).toBeUndefined();
  });
});
