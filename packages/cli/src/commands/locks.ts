import { cleanupExpiredLocks, listLocks, lockHolder, releaseLock } from "@m10/shared";
import type { Command } from "commander";
import { context } from "../context.js";
import { CommandError, type Output } from "../output.js";
import { table } from "../table.js";

export function registerLocks(program: Command, output: () => Output): void {
  const locks = program
    .command("locks")
    .description("distributed locks in m10_recovery.distributed_locks (Production Handbook §4)")
    .addHelpText(
      "after",
      `
Examples:
  m10ctl locks list                     # every lock, expired ones flagged
  m10ctl locks list --active            # the handbook's "Check Active Locks"
  m10ctl locks release m10:retention_cleanup orchestrator:host:1234:ab12cd34
  m10ctl locks cleanup --json           # SELECT m10_recovery.cleanup_expired_locks()`,
    );

  locks
    .command("list")
    .description("list locks: name, holder, acquired, expires")
    .option("--active", "only unexpired locks", false)
    .action(async (options: { active: boolean }) => {
      const rows = (await listLocks(context().db())).map((row) => ({ ...row, expired: row.expires_at.getTime() <= Date.now() }));
      const shown = options.active ? rows.filter((row) => !row.expired) : rows;
      output().result({ locks: shown, active: rows.filter((row) => !row.expired).length, expired: rows.filter((row) => row.expired).length }, () =>
        table(
          ["lock_name", "holder_id", "acquired_at", "expires_at", "expired"],
          shown.map((row) => [row.lock_name, row.holder_id, row.acquired_at, row.expires_at, row.expired]),
        ),
      );
    });

  locks
    .command("release")
    .description("force-release a stuck lock (only succeeds with the right holder: m10_recovery.release_lock)")
    .argument("<name>", "lock_name")
    .argument("<holder>", "holder_id, as `m10ctl locks list` shows it")
    .action(async (name: string, holder: string) => {
      const db = context().db();
      const released = await releaseLock(db, name, holder);
      if (!released) {
        const current = await lockHolder(db, name);
        throw new CommandError(current ? `lock ${name} is held by ${current.holder_id}, not ${holder}: nothing released` : `no lock named ${name} is held`);
      }
      output().result({ lock_name: name, holder_id: holder, released: true }, () => `released ${name} (held by ${holder})`);
    });

  locks
    .command("cleanup")
    .description("delete expired locks (m10_recovery.cleanup_expired_locks)")
    .action(async () => {
      const removed = await cleanupExpiredLocks(context().db());
      output().result({ removed }, () => `removed ${removed} expired lock(s)`);
    });
}
