// The backlog over time: candidates not evaluated yet plus outbox events not delivered yet, read
// every 2 s on one connection of the monitor's own (opened again after an outage; while
// PostgreSQL is down the sample is simply missing).
import pg from "pg";

const SAMPLE_MS = 2_000;

export interface BacklogSample {
  at: number;
  unevaluated: number;
  outboxPending: number;
}

export interface BacklogMonitor {
  samples: BacklogSample[];
  /** The latest sample, read now (undefined while PostgreSQL cannot answer). */
  read(): Promise<BacklogSample | undefined>;
  stop(): Promise<void>;
}

export const BACKLOG_SQL = `SELECT (SELECT count(*) FROM public.recovery_candidates WHERE evaluated_at IS NULL)::int AS unevaluated,
                                  (SELECT count(*) FROM m10_recovery.outbox WHERE processed_at IS NULL)::int AS outbox_pending`;

export function startMonitor(databaseUrl: string): BacklogMonitor {
  let client: pg.Client | undefined;
  const connection = async (): Promise<pg.Client> => {
    if (client) return client;
    const fresh = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000, query_timeout: 5_000 });
    fresh.on("error", () => {
      if (client === fresh) client = undefined;
    });
    await fresh.connect();
    client = fresh;
    return fresh;
  };
  let reading: Promise<BacklogSample | undefined> | undefined;
  const sample = async (): Promise<BacklogSample | undefined> => {
    try {
      const db = await connection();
      const { rows } = await db.query<{ unevaluated: number; outbox_pending: number }>(BACKLOG_SQL);
      const row = rows[0];
      if (!row) return undefined;
      const taken = { at: Date.now(), unevaluated: row.unevaluated, outboxPending: row.outbox_pending };
      monitor.samples.push(taken);
      return taken;
    } catch {
      const broken = client;
      client = undefined;
      await broken?.end().catch(() => undefined);
      return undefined;
    }
  };
  const monitor: BacklogMonitor = {
    samples: [],
    // One query at a time on the one connection: a read asked for while one runs shares it.
    read() {
      reading ??= sample().finally(() => (reading = undefined));
      return reading;
    },
    stop: async () => {
      clearInterval(timer);
      await client?.end().catch(() => undefined);
    },
  };
  const timer = setInterval(() => void monitor.read(), SAMPLE_MS);
  return monitor;
}

/** Backlog = what is still to be evaluated or delivered. */
export function backlogOf(sample: BacklogSample): number {
  return sample.unevaluated + sample.outboxPending;
}

/** The largest backlog sampled in [from, to]. */
export function backlogPeak(samples: readonly BacklogSample[], from: number, to: number): number {
  let peak = 0;
  for (const sample of samples) if (sample.at >= from && sample.at <= to) peak = Math.max(peak, backlogOf(sample));
  return peak;
}

/** Seconds from `from` to the first sample at or after it with a backlog of at most `atMost` (null: none). */
export function secondsUntilBacklog(samples: readonly BacklogSample[], from: number, atMost: number): number | null {
  const reached = samples.find((sample) => sample.at >= from && backlogOf(sample) <= atMost);
  return reached ? Math.round((reached.at - from) / 100) / 10 : null;
}
