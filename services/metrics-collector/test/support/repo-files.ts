// Paths and parsers the deployment-file tests share (infra-*.test.ts): the repository, its
// compose file and its services.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
export const INFRA = join(REPO, "infra");

/** Every directory under services/ (a new service is covered without editing a test). */
export const SERVICE_DIRS = readdirSync(join(REPO, "services")).filter((name) => existsSync(join(REPO, "services", name, "package.json")));

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[];
  network_mode?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Compose files use YAML merge keys (<<: *anchor). */
export function loadYaml<T>(path: string): T {
  return parse(readFileSync(path, "utf8"), { merge: true }) as T;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
