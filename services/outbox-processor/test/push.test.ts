// Push, not poll (issue 16): migration 032's NOTIFY wakes the real processor process at once,
// with a poll interval far longer than the waits below, and its LISTEN connection comes back
// after PostgreSQL terminates it.
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { insertEvents, outboxRows, useOutboxEnvironment, webhookRouting } from "@m10/delivery/testing";
import { startProcessor } from "./support/processor.js";

/** The safety-net poll: nothing below may be delivered by it. */
const POLL_INTERVAL_SECONDS = 60;
/** Well under the poll interval: a delivery within this came from a notification. */
const PROMPT_MS = 10_000;

const LISTEN_APPLICATION = "m10-outbox-processor listen";

describe("outbox notifications", () => {
  const t = useOutboxEnvironment();

  /** Backend pids of the processor's LISTEN connection. */
  const listenPids = async (): Promise<number[]> =>
    (await t.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", [LISTEN_APPLICATION])).rows.map(
      (r) => r.pid,
    );

  it("a committed event wakes the idle processor at once, also after its LISTEN connection was terminated", async () => {
    const service = await startProcessor(t.db.url, {
      OUTBOX_ROUTES_JSON: JSON.stringify(webhookRouting(t.sink.url)),
      OUTBOX_POLL_INTERVAL: String(POLL_INTERVAL_SECONDS),
    });
    try {
      await waitUntil("the processor listens", async () => (await listenPids()).length === 1);
      const detailed = async () => (await (await fetch(`${service.url}/health/detailed`)).json()) as { listening: boolean | null };
      await waitUntil("/health/detailed reports listening", async () => (await detailed()).listening === true);

      const started = Date.now();
      await insertEvents(t.pool, 1, "recovery.suggested", undefined, "push-first");
      await waitUntil("the first event reached the sink", () => t.sink.requests.length === 1, { timeoutMs: PROMPT_MS, intervalMs: 20 });
      expect(Date.now() - started).toBeLessThan(POLL_INTERVAL_SECONDS * 1000);

      const [terminated] = await listenPids();
      await t.pool.query("SELECT pg_terminate_backend($1)", [terminated]);
      await waitUntil("the processor listens again on a new connection", async () => {
        const pids = await listenPids();
        return pids.length === 1 && pids[0] !== terminated;
      });
      await waitUntil("/health/detailed reports listening again", async () => (await detailed()).listening === true);

      await insertEvents(t.pool, 3, "recovery.suggested", undefined, "push-after-reconnect");
      await waitUntil("the events after the reconnect were delivered", async () => (await outboxRows(t.pool)).every((row) => row.processed_at !== null), {
        timeoutMs: PROMPT_MS,
        intervalMs: 20,
      });
      expect(t.sink.requests).toHaveLength(4);
      expect([...t.sink.successesByKey().values()]).toEqual([1, 1, 1, 1]);
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });
});
