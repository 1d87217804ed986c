// What a running M10 binary is: the release version (every M10 package is versioned together, so
// @m10/shared's own version is the release's), the source revision the image or install was built
// from (M10_REVISION, set by the Dockerfiles and `make install`) and the Node version. `--version`
// prints it; every service exports it as m10_build_info.
import { createRequire } from "node:module";

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly nodeVersion: string;
}

const packageJson = createRequire(import.meta.url)("../package.json") as { version: string };

export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  return { version: packageJson.version, revision: env.M10_REVISION?.trim() || "unknown", nodeVersion: process.version };
}

/** The line `<command> --version` prints: "m10-ingest 0.1.0 (revision 1a2b3c4, node v24.11.0)". */
export function versionText(command: string, info: BuildInfo = buildInfo()): string {
  return `${command} ${info.version} (revision ${info.revision}, node ${info.nodeVersion})`;
}
