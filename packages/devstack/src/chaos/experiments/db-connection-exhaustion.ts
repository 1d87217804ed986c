// Seed 003 "DB Connection Exhaustion: spike connections, verify pool limits", and the suite's
// "another client holds all but 2 of PostgreSQL's connections": the services keep to their pools,
// answer 2xx or 503 with Retry-After (never another 5xx), and recover once the connections go.
import pg from "pg";
import type { Experiment } from "../experiment.js";
import { awaitRecovery, sleep, steadyIngest } from "../observe.js";

/** The services' pools (M10_DB_POOL_MAX, default 10) plus a LISTEN connection each. */
const POOL_MAX_PLUS_LISTENER = 11;

async function openConnections(url: string, wanted: number): Promise<{ clients: pg.Client[]; refused: string | undefined }> {
  const clients: pg.Client[] = [];
  let refused: string | undefined;
  while (clients.length < wanted && refused === undefined) {
    const batch = Array.from({ length: Math.min(20, wanted - clients.length) }, () => new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: "m10-chaos-hog" }));
    const results = await Promise.allSettled(batch.map(async (client) => {
      client.on("error", () => undefined); // the server may end a held connection; nothing to do
      await client.connect();
      return client;
    }));
    for (const result of results) {
      if (result.status === "fulfilled") clients.push(result.value);
      else refused ??= result.reason instanceof Error ? result.reason.message : String(result.reason);
    }
  }
  return { clients, refused };
}

async function connectionsByApplication(client: pg.Client): Promise<Map<string, number>> {
  const result = await client.query<{ app: string; n: string }>(
    "SELECT coalesce(nullif(application_name, ''), '(none)') AS app, count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> 'm10-chaos-hog' GROUP BY 1",
  );
  return new Map(result.rows.map((row) => [row.app, Number(row.n)]));
}

export const dbConnectionExhaustion: Experiment = {
  name: "db_connection_exhaustion",
  summary: "hold all but 2 of PostgreSQL's connections for CHAOS_HOLD_SECONDS under steady ingest; pools stay within their limits, answers are 2xx or 503 + Retry-After",
  async run({ config, report, db }) {
    const limits = await db.query<{ max: string; used: string }>(
      "SELECT current_setting('max_connections') AS max, (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS used",
    );
    const max = Number(limits.rows[0]?.max);
    const used = Number(limits.rows[0]?.used);
    const wanted = Math.max(0, max - used - 2);
    report.observed(`max_connections ${max}, ${used} in use before the experiment`);
    const load = steadyIngest(config);
    report.did(`started steady ingest; opening ${wanted} connections (all but 2 of the free ones)`);
    const { clients, refused } = await openConnections(config.databaseUrl, wanted);
    report.did(`holding ${clients.length} connections for ${config.holdSeconds} s${refused ? ` (the server refused more: ${refused})` : ""}`);
    const peak = new Map<string, number>();
    try {
      const until = Date.now() + config.holdSeconds * 1000;
      while (Date.now() < until) {
        const observer = clients[0];
        if (observer) for (const [app, n] of await connectionsByApplication(observer)) peak.set(app, Math.max(peak.get(app) ?? 0, n));
        await sleep(1_000);
      }
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      report.faultEnded();
      report.did(`released the ${clients.length} connections`);
    }
    const tally = await load.stop();
    report.observed(`ingest answers while the connections were held: ${tally.toString()}`);
    report.observed(`peak connections per application: ${[...peak].map(([app, n]) => `${app} ${n}`).join(", ") || "none seen"}`);
    report.check("the other client held all but 2 connections", clients.length >= Math.min(wanted, max - used - 5), `${clients.length} of ${wanted}`);
    const overLimit = [...peak].filter(([app, n]) => app.startsWith("m10") && n > POOL_MAX_PLUS_LISTENER);
    report.check(`every M10 process kept to its pool (at most ${POOL_MAX_PLUS_LISTENER} connections)`, overLimit.length === 0, overLimit.map(([app, n]) => `${app} ${n}`).join(", "));
    report.check("no answer was a 5xx other than 503", tally.count((s) => s >= 500 && s !== 503) === 0, tally.toString());
    report.check("every 503 carried Retry-After", tally.bare503 === 0, `${tally.bare503} without`);
    report.check("every request got an answer", tally.count((s) => s === 0) === 0, tally.toString());
    await awaitRecovery(config, db, report, tally.accepted);
  },
};
