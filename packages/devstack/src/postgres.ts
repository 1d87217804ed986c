import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import pg from "pg";
import { postgresBinDir } from "./binaries.js";
import { ManagedProcess } from "./managed-process.js";
import { serverFrom, type DevServer } from "./server.js";
import { waitFor } from "./wait.js";

export interface PostgresOptions {
  dir: string;
  port: number;
  /** Ephemeral test clusters skip fsync (a killed process loses nothing; a lost machine would); `make up` keeps the defaults. */
  ephemeral: boolean;
  database?: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: run it as the `postgres` system user then. */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** The postgres user must be able to reach its data dir: let others traverse our ancestors of it. */
function makeTraversable(dir: string): void {
  for (let current = dirname(dir); current !== dirname(current); current = dirname(current)) {
    const stat = statSync(current);
    if (stat.uid === process.getuid?.() && (stat.mode & 0o001) === 0) chmodSync(current, stat.mode | 0o001);
  }
}

function run(command: string, args: string[], user: RunAs | undefined): void {
  try {
    execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"], ...(user ?? {}) });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString("utf8").trim();
    throw new Error(`${command} failed: ${stderr || String(error)}`);
  }
}

export async function createPostgres(options: PostgresOptions): Promise<DevServer> {
  const bin = postgresBinDir();
  const user = runAs();
  const dataDir = join(options.dir, "data");
  mkdirSync(options.dir, { recursive: true });
  if (user) {
    makeTraversable(options.dir);
    chmodSync(options.dir, 0o755);
    chownSync(options.dir, user.uid, user.gid);
  }
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    run(join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"], user);
  }
  const settings = [
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    "max_connections=200",
    "shared_buffers=256MB",
    ...(options.ephemeral ? ["fsync=off", "full_page_writes=off"] : []),
  ];
  const proc = new ManagedProcess({
    command: join(bin, "postgres"),
    args: ["-D", dataDir, "-p", String(options.port), ...settings.flatMap((s) => ["-c", s])],
    logFile: join(options.dir, "postgres.log"),
    ...(user ?? {}),
  });
  const adminUrl = `postgres://postgres@127.0.0.1:${options.port}/postgres`;
  const database = options.database ?? "m10";
  const ready = async () => {
    await waitFor("PostgreSQL", async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    });
    await ensureDatabase(adminUrl, database);
  };
  // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
  const server = serverFrom("postgres", options.port, `postgres://postgres@127.0.0.1:${options.port}/${database}`, proc, ready, "SIGINT");
  await server.start();
  return server;
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}
