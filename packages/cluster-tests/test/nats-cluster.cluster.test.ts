// The outbox on a 3-node NATS cluster with the events stream at R3: the stream leader is killed
// while 2,000 events are delivered, and every event lands in the stream exactly once (the
// Nats-Msg-Id dedupe holds across the leader change).
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { startNatsCluster, type NatsCluster } from "@m10/devstack";
import { openTestDatabase, testStack, useEnvironment, waitUntil, type RunningService } from "@m10/devstack/testing";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startOutboxProcessor } from "./support/services.js";

const EVENTS = 2_000;
const STREAM = "M10_EVENTS";

const t = useEnvironment(async (defer) => {
  const cluster: NatsCluster = await startNatsCluster({ dir: mkdtempSync(join(testStack().dir, "nats-cluster-")) });
  defer(() => cluster.stop());
  const { db, pool } = await openTestDatabase(defer, (url) => new pg.Pool({ connectionString: url, max: 3 }));
  return { cluster, db, pool };
});

interface StreamState {
  replicas: number;
  messages: number;
  lastSeq: number;
}

/** The stream's replica count and state, from a live node's monitoring endpoint. */
async function streamState(cluster: NatsCluster): Promise<StreamState | undefined> {
  for (const node of cluster.nodes.filter((candidate) => candidate.running)) {
    const response = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz?streams=true&config=true`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (!response?.ok) continue;
    const jsz = (await response.json()) as {
      account_details?: { stream_detail?: { name: string; config?: { num_replicas: number }; state: { messages: number; last_seq: number } }[] }[];
    };
    const detail = (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []).find((candidate) => candidate.name === STREAM);
    if (detail) return { replicas: detail.config?.num_replicas ?? 0, messages: detail.state.messages, lastSeq: detail.state.last_seq };
  }
  return undefined;
}

const undelivered = async (pool: pg.Pool) => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.outbox WHERE processed_at IS NULL")).rows[0]!.n;

describe("the outbox on a 3-node NATS cluster", () => {
  it("puts all 2,000 events in the R3 stream exactly once while the stream leader is killed", async () => {
    const endpoints = { databaseUrl: t.db.url, redisUrl: testStack().redisUrl, natsUrl: t.cluster.url };
    const fast = { OUTBOX_NATS_REPLICAS: "3", OUTBOX_BACKOFF_BASE_SECONDS: "0.2", OUTBOX_BACKOFF_MAX_SECONDS: "1", OUTBOX_BATCH_SIZE: "50" };
    const processors: RunningService[] = [await startOutboxProcessor(endpoints, fast), await startOutboxProcessor(endpoints, fast)];
    try {
      await waitUntil("the events stream created at R3", async () => (await streamState(t.cluster))?.replicas === 3, { timeoutMs: 60_000 });
      await t.pool.query(
        `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload)
         SELECT 'recovery_candidate', i::text, 'recovery.suggested', jsonb_build_object('n', i) FROM generate_series(1, $1::int) AS i`,
        [EVENTS],
      );
      await waitUntil("a tenth of the events delivered", async () => ((await streamState(t.cluster))?.messages ?? 0) >= EVENTS / 10, { timeoutMs: 120_000, intervalMs: 50 });
      const leader = await t.cluster.streamLeader(STREAM);
      expect(leader).toBeDefined();
      await leader!.kill();
      const inFlight = await undelivered(t.pool);
      expect(inFlight).toBeGreaterThan(0);

      await waitUntil("every event delivered", async () => (await undelivered(t.pool)) === 0, { timeoutMs: 300_000, intervalMs: 500 });
      const newLeader = await t.cluster.streamLeader(STREAM);
      expect(newLeader?.serverName).not.toBe(leader!.serverName);
      // Every acknowledged publish is in the stream (R3 acks after a quorum stored it), and the
      // stream holds exactly as many messages as there are events and stored no extra one.
      expect(await streamState(t.cluster)).toEqual({ replicas: 3, messages: EVENTS, lastSeq: EVENTS });
      const deadLettered = await t.pool.query("SELECT count(*)::int AS n FROM m10_recovery.dead_letter_archive");
      expect(deadLettered.rows[0]).toEqual({ n: 0 });
    } finally {
      await Promise.all(processors.map((processor) => processor.stop("SIGTERM")));
    }
  });
});
