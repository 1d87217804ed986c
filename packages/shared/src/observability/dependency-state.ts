import type { Logger } from "pino";
import { errorMessage } from "../error-message.js";
import type { RedisClient } from "../redis/client.js";

export type DependencyName = "postgres" | "redis" | "nats";

/**
 * Whether a dependency answered the last call. Every M10 process logs a dependency outage through
 * this one class, with one event pair for every kind of outage: `dependency.unavailable` (warn, once
 * when it goes down) and `dependency.recovered` (info, once when it comes back, with how long it
 * was down). Polls, retries and failed requests in between only update the state /health shows.
 */
export class DependencyState {
  private up = true;
  private error: string | null = null;
  private since = new Date();

  constructor(
    readonly name: DependencyName,
    private readonly logger: Logger,
    /** Extra log fields, e.g. which part of the process noticed ({ component: "rate_limit" }). */
    private readonly fields: Record<string, unknown> = {},
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  markUp(): void {
    if (this.up) return;
    this.logger.info(
      { ...this.fields, dependency: this.name, downSince: this.since.toISOString(), down_ms: Date.now() - this.since.getTime() },
      "dependency.recovered",
    );
    this.up = true;
    this.error = null;
    this.since = new Date();
  }

  markDown(error: unknown): void {
    this.error = errorMessage(error);
    if (!this.up) return;
    this.logger.warn({ ...this.fields, dependency: this.name, err: error }, "dependency.unavailable");
    this.up = false;
    this.since = new Date();
  }

  report(): { up: boolean; since: string; error: string | null } {
    return { up: this.up, since: this.since.toISOString(), error: this.error };
  }
}

/**
 * Follows a Redis client's connection: an error marks Redis down (logged once), "ready" marks it
 * up again. ioredis emits an error on every failed reconnect; those stay debug lines.
 */
export function watchRedis(client: RedisClient, state: DependencyState, logger: Logger): void {
  client.on("error", (error: Error) => {
    logger.debug({ err: error }, "redis.connection_error");
    state.markDown(error);
  });
  client.on("ready", () => state.markUp());
}
