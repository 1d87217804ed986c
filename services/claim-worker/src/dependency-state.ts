import type { Logger } from "@m10/shared";

/**
 * Whether a dependency (PostgreSQL, Redis) answered the last call, logged once per transition so
 * an outage is one warning and one recovery line, not one line per poll.
 */
export class DependencyState {
  private up = true;
  private error: string | null = null;
  private since = new Date();

  constructor(
    readonly name: "postgres" | "redis",
    private readonly logger: Logger,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  markUp(): void {
    if (this.up) return;
    this.logger.info({ dependency: this.name, downSince: this.since.toISOString() }, "dependency.recovered");
    this.up = true;
    this.error = null;
    this.since = new Date();
  }

  markDown(error: unknown): void {
    this.error = error instanceof Error ? error.message : String(error);
    if (!this.up) return;
    this.logger.warn({ dependency: this.name, err: error }, "dependency.unavailable");
    this.up = false;
    this.since = new Date();
  }

  report(): { up: boolean; since: string; error: string | null } {
    return { up: this.up, since: this.since.toISOString(), error: this.error };
  }
}

/** Retry delay after consecutive failures: 250 ms doubling to 5 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(250 * 2 ** Math.min(failures, 5), 5_000);
}
