// A transaction that a shutdown deadline can cut short. The evaluation write normally finishes in
// milliseconds, but it can wait on a row lock; when the drain deadline passes, `signal` fires and
// the backend's running statement is cancelled (pg_cancel_backend), so the transaction rolls back
// and the worker can release its leases and exit in time.
import type { Pool, PoolClient } from "@m10/shared/db/pool.js";
import { EvaluationCancelledError } from "./errors.js";

const CANCEL_RETRY_MS = 200;

/** node-postgres knows the backend pid of a connection but does not declare it in its types. */
function backendPid(client: PoolClient): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === "number" ? pid : null;
}

export async function withCancellableTransaction<T>(pool: Pool, signal: AbortSignal, work: (client: PoolClient) => Promise<T>): Promise<T> {
  if (signal.aborted) throw new EvaluationCancelledError(signal.reason);
  const client = await pool.connect();
  const pid = backendPid(client);
  const cancels: Promise<unknown>[] = [];
  let timer: NodeJS.Timeout | undefined;
  // A cancel that arrives between two statements does nothing, so repeat it until the transaction ends.
  const cancel = () => {
    if (pid === null) return;
    cancels.push(pool.query("SELECT pg_cancel_backend($1)", [pid]).catch(() => undefined));
    timer = setTimeout(cancel, CANCEL_RETRY_MS);
  };
  signal.addEventListener("abort", cancel, { once: true });
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true; // the connection itself failed: do not return it to the pool
    }
    throw signal.aborted ? new EvaluationCancelledError(error) : error;
  } finally {
    signal.removeEventListener("abort", cancel);
    if (timer) clearTimeout(timer);
    await Promise.all(cancels);
    // A cancel request may still reach this backend later: never hand the connection to someone else.
    client.release(broken || cancels.length > 0);
  }
}
