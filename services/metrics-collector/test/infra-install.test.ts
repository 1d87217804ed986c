/**
 * `make install` (scripts/install.sh) into a temporary prefix, then the installed metrics collector
 * started from that tree, with the installed Node and the example /etc/m10/m10.env (its
 * DATABASE_URL and REDIS_URL pointed at this test's servers): it serves /health and exports
 * m10_build_info with the installed revision. The tree holds production dependencies only, and the
 * units name the prefix.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@m10/devstack";
import { scrape, testStack, useTestDatabase, waitUntil } from "@m10/devstack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, SERVICE_DIRS, readJson } from "./support/repo-files.js";

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 600_000;

/** KEY=value lines of an env file (comments and blank lines skipped), as systemd's EnvironmentFile= reads them. */
function readEnvFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("make install into a temporary prefix", () => {
  const db = useTestDatabase();
  const root = mkdtempSync(join(tmpdir(), "m10-install-"));
  const prefix = join(root, "opt/m10");
  const sysconf = join(root, "etc/m10");
  const unitDir = join(root, "systemd");
  let installOutput = "";

  beforeAll(async () => {
    const { stdout } = await run("scripts/install.sh", [], {
      cwd: REPO,
      // The current user stands in for m10 (no user is created on the test machine).
      env: { ...process.env, PREFIX: prefix, SYSCONFDIR: sysconf, UNITDIR: unitDir, M10_USER: userInfo().username, NODE: "bundled" },
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    installOutput = stdout;
  }, INSTALL_TIMEOUT_MS);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("installs every service, m10ctl and the migrations with production dependencies only, Node 24 and the example settings", () => {
    for (const service of SERVICE_DIRS) expect(existsSync(join(prefix, "services", service, "package.json")), service).toBe(true);
    expect(existsSync(join(prefix, "bin/m10ctl"))).toBe(true);
    expect(existsSync(join(prefix, "bin/m10-migrate"))).toBe(true);
    expect(existsSync(join(prefix, ".tools/bin/node"))).toBe(true);
    const installedModules = readdirSync(join(prefix, "services/metrics-collector/node_modules"));
    for (const devOnly of ["vitest", "typescript", "@m10/devstack", "yaml"]) expect(installedModules, devOnly).not.toContain(devOnly);
    expect(readdirSync(join(prefix, "services/metrics-collector/node_modules/@m10"))).toEqual(["shared"]);
    expect(readFileSync(join(sysconf, "m10.env"), "utf8")).toBe(readFileSync(join(REPO, "infra/systemd/m10.env.example"), "utf8"));
    expect(installOutput).toContain(`wrote ${sysconf}/m10.env from the example`);
  });

  it("installs the units with the prefix, the settings file and the revision written in", () => {
    const unit = readFileSync(join(unitDir, "m10-metrics-collector.service"), "utf8");
    expect(unit).toContain(`ExecStart=/usr/bin/env node ${prefix}/services/metrics-collector/bin/m10-metrics-collector.js`);
    expect(unit).toContain(`EnvironmentFile=${sysconf}/m10.env`);
    expect(unit).toContain(`Environment=PATH=${prefix}/.tools/bin:/usr/local/bin:/usr/bin:/bin`);
    expect(unit).toContain(`Environment=M10_REVISION=${readFileSync(join(prefix, "REVISION"), "utf8").trim()}`);
    expect(unit.replaceAll(prefix, "<prefix>")).not.toContain("/opt/m10");
    expect(readdirSync(unitDir)).toEqual(expect.arrayContaining(["m10-ingest.service", "m10-maintenance.service", "m10-maintenance.timer"]));
  });

  it("starts the installed metrics collector with the installed Node and the example env; it reports its build", async () => {
    const port = await freePort();
    const env = {
      ...readEnvFile(join(sysconf, "m10.env")),
      DATABASE_URL: db.url,
      REDIS_URL: testStack().redisUrl,
      M10_HEALTH_PORT: String(port),
      M10_REVISION: readFileSync(join(prefix, "REVISION"), "utf8").trim(),
      NODE_ENV: "production",
      PATH: `${prefix}/.tools/bin:/usr/bin:/bin`,
    };
    const child = spawn(join(prefix, ".tools/bin/node"), [join(prefix, "services/metrics-collector/bin/m10-metrics-collector.js")], { cwd: prefix, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await waitUntil("the installed collector's /health", async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output}`);
        const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
        return response?.ok === true;
      });
      const metrics = await scrape(`http://127.0.0.1:${port}`);
      const info = metrics.samples.find((sample) => sample.name === "m10_build_info");
      expect(info?.labels).toMatchObject({ revision: env.M10_REVISION, version: "0.1.0" });
      expect(info?.labels.node_version).toMatch(/^v24\./);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("every installed binary answers --version with the release, the installed revision and Node 24", async () => {
    const revision = readFileSync(join(prefix, "REVISION"), "utf8").trim();
    const bins = [
      ...SERVICE_DIRS.flatMap((service) =>
        Object.entries(readJson<{ bin: Record<string, string> }>(join(prefix, "services", service, "package.json")).bin).map(([name, path]) => ({ name, path: join(prefix, "services", service, path) })),
      ),
      { name: "m10ctl", path: join(prefix, "bin/m10ctl") },
      { name: "m10-migrate", path: join(prefix, "bin/m10-migrate") },
    ];
    for (const bin of bins) {
      const { stdout } = await run(join(prefix, ".tools/bin/node"), [bin.path, "--version"], { env: { M10_REVISION: revision } });
      expect(stdout.trim(), bin.name).toMatch(new RegExp(`^${bin.name} 0\\.1\\.0 \\(revision ${revision}, node v24\\.`));
    }
  });

  it("an upgrade keeps the settings and the previous tree", async () => {
    writeFileSync(join(sysconf, "m10.env"), "DATABASE_URL=postgres://edited\n");
    const { stdout } = await run("scripts/install.sh", [], {
      cwd: REPO,
      env: { ...process.env, PREFIX: prefix, SYSCONFDIR: sysconf, UNITDIR: unitDir, M10_USER: userInfo().username, NODE: "bundled" },
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain(`kept ${sysconf}/m10.env`);
    expect(readFileSync(join(sysconf, "m10.env"), "utf8")).toBe("DATABASE_URL=postgres://edited\n");
    expect(existsSync(join(`${prefix}.previous`, "services/metrics-collector/bin/m10-metrics-collector.js"))).toBe(true);
  }, INSTALL_TIMEOUT_MS);
});
