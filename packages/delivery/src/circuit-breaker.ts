// Per-target circuit breakers: the M7 runbook's "auto-disable on > 50 errors/min". A target whose
// attempts failed more than `errorsPerMinute` times within the last minute, and at least
// `minFailureRatio` of its attempts in that minute, is disabled for `openSeconds`: its events are
// given back due at the reopening time, unattempted and without counting a retry. Then one trial
// attempt is let through (half-open): success closes the circuit, failure disables the target
// again. Only retryable failures count (5xx, 429, timeouts, refused connections: the dependency's
// trouble), not permanent ones (the event's own fault). The ratio keeps a busy, healthy target
// enabled: at 3,000 deliveries a minute, 51 timeouts are a 2 % blip, and disabling the target for
// a minute would turn them into a 100 % outage.
import type { Logger } from "pino";

export type CircuitState = "closed" | "open" | "half_open";

/** The gauge value of each state (m10_outbox_circuit_state). */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, half_open: 2 };

export interface CircuitBreakerSettings {
  /** More failed attempts than this within a minute open the circuit (0 = no circuit breaker). */
  errorsPerMinute: number;
  /** How long an open circuit keeps its target disabled before a trial attempt. */
  openSeconds: number;
  /** The share of the minute's attempts that must have failed too (0 = the count alone decides). */
  minFailureRatio: number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  failures_last_minute: number;
  attempts_last_minute: number;
  times_opened: number;
  opened_at: string | null;
  /** When an open circuit lets its trial attempt through. */
  retry_at: string | null;
}

export type Admission = { allowed: true } | { allowed: false; retryAt: Date };

export interface CircuitBreakers {
  /** Whether an attempt on `target` may start now; when not, the time to try again. */
  admit(target: string): Admission;
  /** The outcome of an admitted attempt: `failed` = a retryable failure. */
  record(target: string, failed: boolean): void;
  snapshot(): Record<string, CircuitSnapshot>;
}

export interface CircuitObserver {
  stateChanged(target: string, state: CircuitState): void;
}

/** Attempts and failures of one second of the sliding minute. */
interface SecondCount {
  second: number;
  attempts: number;
  failures: number;
}

interface Circuit {
  state: CircuitState;
  /** At most one entry per second of the last minute, oldest first: bounded however busy the target. */
  seconds: SecondCount[];
  timesOpened: number;
  openedAt: number | undefined;
  retryAt: number;
  trialInFlight: boolean;
}

const WINDOW_MS = 60_000;
/** While a trial attempt runs, the target's other events come back after this long. */
const TRIAL_WAIT_MS = 1_000;

export function createCircuitBreakers(settings: CircuitBreakerSettings, observer: CircuitObserver, logger: Logger, now: () => number = Date.now): CircuitBreakers {
  const circuits = new Map<string, Circuit>();
  const circuitOf = (target: string): Circuit => {
    let circuit = circuits.get(target);
    if (!circuit) {
      circuit = { state: "closed", seconds: [], timesOpened: 0, openedAt: undefined, retryAt: 0, trialInFlight: false };
      circuits.set(target, circuit);
      observer.stateChanged(target, "closed");
    }
    return circuit;
  };
  const lastMinute = (circuit: Circuit): { attempts: number; failures: number } => {
    const since = Math.floor((now() - WINDOW_MS) / 1000);
    while (circuit.seconds.length > 0 && (circuit.seconds[0]?.second ?? 0) <= since) circuit.seconds.shift();
    return circuit.seconds.reduce((sum, s) => ({ attempts: sum.attempts + s.attempts, failures: sum.failures + s.failures }), { attempts: 0, failures: 0 });
  };
  const count = (circuit: Circuit, failed: boolean): void => {
    const second = Math.floor(now() / 1000);
    let last = circuit.seconds.at(-1);
    if (last?.second !== second) {
      last = { second, attempts: 0, failures: 0 };
      circuit.seconds.push(last);
    }
    last.attempts += 1;
    if (failed) last.failures += 1;
  };
  const shouldOpen = (circuit: Circuit): boolean => {
    const { attempts, failures } = lastMinute(circuit);
    return failures > settings.errorsPerMinute && failures >= settings.minFailureRatio * attempts;
  };
  const open = (target: string, circuit: Circuit): void => {
    circuit.state = "open";
    circuit.openedAt = now();
    circuit.retryAt = now() + settings.openSeconds * 1000;
    circuit.timesOpened += 1;
    circuit.trialInFlight = false;
    observer.stateChanged(target, "open");
    logger.warn({ target, ...lastMinute(circuit), open_seconds: settings.openSeconds }, "outbox.circuit_opened");
  };

  return {
    admit(target) {
      if (settings.errorsPerMinute <= 0) return { allowed: true };
      const circuit = circuitOf(target);
      if (circuit.state === "closed") return { allowed: true };
      if (circuit.state === "open" && now() < circuit.retryAt) return { allowed: false, retryAt: new Date(circuit.retryAt) };
      if (circuit.trialInFlight) return { allowed: false, retryAt: new Date(now() + TRIAL_WAIT_MS) };
      circuit.state = "half_open";
      circuit.trialInFlight = true;
      observer.stateChanged(target, "half_open");
      return { allowed: true };
    },
    record(target, failed) {
      if (settings.errorsPerMinute <= 0) return;
      const circuit = circuitOf(target);
      if (circuit.state === "half_open" && circuit.trialInFlight) {
        if (failed) return open(target, circuit);
        circuit.state = "closed";
        circuit.seconds = [];
        circuit.trialInFlight = false;
        observer.stateChanged(target, "closed");
        logger.info({ target, disabled_ms: now() - (circuit.openedAt ?? now()) }, "outbox.circuit_closed");
        return;
      }
      if (circuit.state !== "closed") return;
      count(circuit, failed);
      if (failed && shouldOpen(circuit)) open(target, circuit);
    },
    snapshot() {
      return Object.fromEntries(
        [...circuits].map(([target, c]) => {
          const minute = lastMinute(c);
          return [
            target,
            {
              state: c.state,
              failures_last_minute: minute.failures,
              attempts_last_minute: minute.attempts,
              times_opened: c.timesOpened,
              opened_at: c.openedAt === undefined ? null : new Date(c.openedAt).toISOString(),
              retry_at: c.state === "open" ? new Date(c.retryAt).toISOString() : null,
            },
          ];
        }),
      );
    },
  };
}
