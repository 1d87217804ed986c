import type pg from "pg";

/** The transaction was cancelled through its AbortSignal (a shutdown deadline) before it finished. */
export class TransactionCancelledError extends Error {
  constructor(cause?: unknown) {
    super("transaction cancelled", { cause });
    this.name = "TransactionCancelledError";
  }
}

const CANCEL_RETRY_MS = 200;

/** node-postgres knows the backend pid of a connection but does not declare it in its types. */
function backendPid(client: pg.PoolClient): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === "number" ? pid : null;
}

/**
 * Runs `work` in one transaction on one pooled client: COMMIT on success, ROLLBACK on any error.
 * With a `signal`, an abort cancels the running statement (pg_cancel_backend) so a transaction
 * waiting on a row lock cannot outlive a shutdown deadline; it then throws TransactionCancelledError.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) throw new TransactionCancelledError(signal.reason);
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
  signal?.addEventListener("abort", cancel, { once: true });
  let broken = false;
  // A connection that dies mid-transaction (a killed backend, a reset socket) fails the running
  // statement; its "error" event must not crash the process while the client is checked out.
  const onConnectionError = () => {
    broken = true;
  };
  client.on("error", onConnectionError);
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
    throw signal?.aborted ? new TransactionCancelledError(error) : error;
  } finally {
    signal?.removeEventListener("abort", cancel);
    if (timer) clearTimeout(timer);
    await Promise.all(cancels);
    client.off("error", onConnectionError);
    // A cancel request may still reach this backend later: never hand the connection to someone else.
    client.release(broken || cancels.length > 0);
  }
}
