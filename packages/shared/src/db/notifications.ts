import pg from "pg";
import type { Logger } from "pino";
import { backoffDelayMs } from "../async/retry.js";
import { sleep } from "../async/sleep.js";

export interface NotificationListenerOptions {
  connectionString: string;
  /** The channel to LISTEN on (a plain identifier: m10_outbox). */
  channel: string;
  applicationName: string;
  connectTimeoutMs: number;
  logger: Logger;
  /**
   * Called for every notification, and after every (re)connection: notifications sent while the
   * connection was down are lost, so the caller looks for work once.
   */
  onNotify: () => void;
}

export interface NotificationListener {
  /** True while the LISTEN connection is up. */
  connected(): boolean;
  /** Closes the connection and stops reconnecting. */
  close(): Promise<void>;
}

/**
 * A dedicated connection (outside the pool: a pooled client would be handed to queries) that
 * LISTENs on one channel and reconnects with backoff whenever it is lost (PostgreSQL restarted,
 * the backend terminated).
 */
export function listenForNotifications(options: NotificationListenerOptions): NotificationListener {
  const { channel, logger } = options;
  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
  let client: pg.Client | undefined;

  /** Connects and LISTENs; resolves the client and a promise that settles when it is lost. */
  const connectOnce = async (): Promise<{ connection: pg.Client; lost: Promise<void> }> => {
    const connection = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
    });
    const lost = new Promise<void>((resolve) => {
      connection.on("error", (error) => {
        if (!stop.signal.aborted) logger.warn({ err: error, channel }, "db.listen_connection_error");
        resolve();
      });
      connection.on("end", () => resolve());
    });
    connection.on("notification", () => options.onNotify());
    try {
      await connection.connect();
      await connection.query(`LISTEN ${channel}`);
    } catch (error) {
      await connection.end().catch(() => undefined);
      throw error;
    }
    return { connection, lost };
  };

  const loop = async () => {
    for (let failures = 0; !stop.signal.aborted; ) {
      let connected: Awaited<ReturnType<typeof connectOnce>>;
      try {
        connected = await connectOnce();
        client = connected.connection;
      } catch (error) {
        const retryInMs = backoffDelayMs(failures, 250, 5_000);
        if (!stop.signal.aborted) logger.warn({ err: error, channel, retry_in_ms: retryInMs }, "db.listen_failed");
        failures += 1;
        await sleep(retryInMs, stop.signal);
        continue;
      }
      logger.info({ channel, failures }, "db.listening");
      failures = 0;
      options.onNotify();
      await Promise.race([connected.lost, stopped]);
      client = undefined;
      if (stop.signal.aborted) await connected.connection.end().catch(() => undefined);
      else logger.warn({ channel }, "db.listen_connection_lost");
    }
  };
  const running = loop();

  return {
    connected: () => client !== undefined,
    async close() {
      stop.abort();
      await running;
    },
  };
}
