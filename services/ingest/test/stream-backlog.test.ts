// Nothing accepted is trimmed away (docs/architecture.md §2 promise 1): the evaluation stream is
// never capped with MAXLEN, so a backlog far beyond the old M10_STREAM_MAX_LEN keeps every entry
// until a worker acknowledges it.
import { fieldsToRecord } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

// The variable is set as operators had it; the stream must hold ten times as many entries.
const t = useTestApp({ env: { M10_STREAM_MAX_LEN: "100" } });

describe("a stream backlog larger than M10_STREAM_MAX_LEN", () => {
  it("keeps an entry for every accepted candidate while no worker consumes, 1,000 of them", async () => {
    const accepted: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      const items = Array.from({ length: 100 }, () => ingestBody());
      const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest/batch", headers: bearer(MACHINE_TOKEN), payload: { items } });
      expect(response.statusCode).toBe(202);
      accepted.push(...response.json().results.map((r: { candidate_id: number }) => r.candidate_id));
    }

    const redis = t.redis!;
    expect(await redis.xlen(t.config.M10_STREAM_KEY)).toBe(1_000);
    const entries = await redis.xrange(t.config.M10_STREAM_KEY, "-", "+");
    const queued = entries.map(([, flat]) => Number(fieldsToRecord(flat).candidate_id));
    expect(queued.sort((a, b) => a - b)).toEqual([...accepted].sort((a, b) => a - b));
    const inDbQueue = await t.pool.query("SELECT count(*)::int AS n FROM m10_recovery.work_queue");
    expect(inDbQueue.rows[0]).toEqual({ n: 0 });
  });
});
