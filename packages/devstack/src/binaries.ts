import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

export class MissingBinaryError extends Error {
  constructor(binary: string, hint: string) {
    super(`${binary} was not found. ${hint}`);
    this.name = "MissingBinaryError";
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, off PATH: take the newest. */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((entry) => /^\d+$/.test(entry) && existsSync(join(root, entry, "bin", "postgres")))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(root, majors[0], "bin");
  }
  const initdb = onPath("initdb");
  if (initdb && onPath("postgres")) return initdb.slice(0, -"/initdb".length);
  throw new MissingBinaryError("postgres/initdb", "Install the Debian package 'postgresql' (make does this when run as root).");
}

export function binary(name: "redis-server" | "redis-cli" | "nats-server", debianPackage: string): string {
  const found = onPath(name) ?? [`/usr/bin/${name}`, `/usr/sbin/${name}`].find((p) => existsSync(p));
  if (!found) throw new MissingBinaryError(name, `Install the Debian package '${debianPackage}' (make does this when run as root).`);
  return found;
}
