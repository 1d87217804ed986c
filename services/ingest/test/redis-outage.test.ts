// Chaos: Redis stops while ingest traffic flows, then comes back.
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const t = useTestApp({ privateRedis: true });

const ingest = () => t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(MACHINE_TOKEN), payload: ingestBody() });
const workQueueRows = async (ids: number[]) =>
  (await t.pool.query<{ candidate_id: number; method: string }>("SELECT candidate_id, method FROM m10_recovery.work_queue WHERE candidate_id = ANY($1)", [ids])).rows;
const streamHas = async (id: number) => (await t.redis!.xrange(t.config.M10_STREAM_KEY, "-", "+")).some(([, fields]) => fields[1] === String(id));

describe("Redis outage", () => {
  it("keeps answering 202 with rows in work_queue while Redis is down, and uses the stream again once it is back", async () => {
    const before = await ingest();
    expect(before.statusCode).toBe(202);
    expect(await streamHas(before.json().candidate_id)).toBe(true);

    // Traffic keeps flowing while Redis goes away.
    let stop = false;
    const statuses: number[] = [];
    const traffic = (async () => {
      while (!stop) statuses.push((await ingest()).statusCode);
    })();
    await waitUntil("ingest traffic flowing", () => statuses.length >= 10);
    await t.redisServer.stop();
    await waitUntil("the client to see Redis gone", () => t.redis!.status !== "ready");

    const during: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await ingest();
      expect(response.statusCode).toBe(202);
      during.push(response.json().candidate_id);
    }
    const queued = await workQueueRows(during);
    expect(queued).toHaveLength(5);
    expect(queued.every((row) => row.method === "db_fallback")).toBe(true);

    const ready = await t.app.inject({ method: "GET", url: "/ready" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true, status: "degraded", checks: { postgres: { ok: true }, redis: { ok: false } } });
    const detailed = await t.app.inject({ method: "GET", url: "/health/detailed", headers: bearer(ADMIN_TOKEN) });
    expect(detailed.json()).toMatchObject({ fallback: { active: true }, queue: { stream_length: null } });
    expect(detailed.json().fallback.db_fallback_enqueues_since_start).toBeGreaterThanOrEqual(5);
    expect(detailed.json().queue.db_queue_depth).toBeGreaterThanOrEqual(5);

    await t.redisServer.start();
    // No restart of the app: the client reconnects by itself.
    await waitUntil("the client to reconnect", () => t.redis!.status === "ready");
    stop = true;
    await traffic;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 202)).toBe(true);

    const after = await ingest();
    expect(after.statusCode).toBe(202);
    expect(await streamHas(after.json().candidate_id)).toBe(true);
    expect(await workQueueRows([after.json().candidate_id])).toHaveLength(0);

    // Every accepted candidate went somewhere: the stream or work_queue, none failed.
    const accepted = statuses.length + during.length + 2;
    const success = await t.metric("recovery_ingest_enqueue_total", { status: "success" });
    const fallback = await t.metric("recovery_ingest_enqueue_total", { status: "db_fallback" });
    expect(success + fallback).toBe(accepted);
    expect(fallback).toBeGreaterThanOrEqual(5);
    expect(await t.metric("recovery_ingest_enqueue_total", { status: "failed" })).toBe(0);
  });
});
