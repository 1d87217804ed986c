import type { Queryable } from "./pool.js";

// The distributed locks of m10_recovery.distributed_locks (022): one holder per name, with a TTL.

export interface LockRow {
  lock_name: string;
  holder_id: string;
  acquired_at: Date;
  expires_at: Date;
}

export async function acquireLock(db: Queryable, name: string, holder: string, ttlSeconds: number): Promise<boolean> {
  const result = await db.query<{ ok: boolean }>("SELECT m10_recovery.acquire_lock($1, $2, $3) AS ok", [name, holder, ttlSeconds]);
  return result.rows[0]?.ok === true;
}

export async function extendLock(db: Queryable, name: string, holder: string, ttlSeconds: number): Promise<boolean> {
  const result = await db.query<{ ok: boolean }>("SELECT m10_recovery.extend_lock($1, $2, $3) AS ok", [name, holder, ttlSeconds]);
  return result.rows[0]?.ok === true;
}

export async function releaseLock(db: Queryable, name: string, holder: string): Promise<boolean> {
  const result = await db.query<{ ok: boolean }>("SELECT m10_recovery.release_lock($1, $2) AS ok", [name, holder]);
  return result.rows[0]?.ok === true;
}

export async function cleanupExpiredLocks(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>("SELECT m10_recovery.cleanup_expired_locks() AS n");
  return result.rows[0]?.n ?? 0;
}

export async function listLocks(db: Queryable): Promise<LockRow[]> {
  const result = await db.query<LockRow>(
    "SELECT lock_name, holder_id, acquired_at, expires_at FROM m10_recovery.distributed_locks ORDER BY lock_name",
  );
  return result.rows;
}

export async function lockHolder(db: Queryable, name: string): Promise<LockRow | undefined> {
  const result = await db.query<LockRow>(
    "SELECT lock_name, holder_id, acquired_at, expires_at FROM m10_recovery.distributed_locks WHERE lock_name = $1 AND expires_at >= now()",
    [name],
  );
  return result.rows[0];
}
