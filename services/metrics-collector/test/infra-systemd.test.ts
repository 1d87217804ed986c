/**
 * The systemd units at one standard (docs/architecture.md §6 "systemd"): every unit under
 * services/<name>/systemd/ (listed, so a new service's unit is held to it) verifies, carries the
 * same hardening as the model (services/metrics-collector/systemd/m10-metrics-collector.service)
 * with the same `systemd-analyze security` exposure, runs its package's bin as m10 with
 * /etc/m10/m10.env; every daemon refuses to restart after a configuration error (exit 2); ingest's
 * V8 heap cap sits below its MemoryMax; a timer-run service has no [Install].
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO, SERVICE_DIRS, readJson } from "./support/repo-files.js";

const run = promisify(execFile);

/** The hardening directives: every service unit has exactly the model's values. */
const HARDENING = [
  "NoNewPrivileges",
  "ProtectSystem",
  "ProtectHome",
  "PrivateTmp",
  "PrivateDevices",
  "ProtectKernelTunables",
  "ProtectKernelModules",
  "ProtectKernelLogs",
  "ProtectControlGroups",
  "ProtectClock",
  "ProtectHostname",
  "ProtectProc",
  "CapabilityBoundingSet",
  "AmbientCapabilities",
  "RestrictAddressFamilies",
  "RestrictNamespaces",
  "RestrictSUIDSGID",
  "RestrictRealtime",
  "LockPersonality",
  "SystemCallArchitectures",
  "SystemCallFilter",
  "SystemCallErrorNumber",
  "UMask",
] as const;
/** What every service unit shares with the model, besides hardening. */
const COMMON = ["Type", "User", "Group", "WorkingDirectory", "EnvironmentFile", "KillSignal"] as const;

type Unit = Map<string, Map<string, string[]>>;

function parseUnit(path: string): Unit {
  const unit: Unit = new Map();
  let section = new Map<string, string[]>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) unit.set(header[1] ?? "", (section = new Map()));
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (setting) section.set(setting[1] ?? "", [...(section.get(setting[1] ?? "") ?? []), setting[2] ?? ""]);
  }
  return unit;
}

const value = (unit: Unit, section: string, key: string): string | undefined => unit.get(section)?.get(key)?.at(-1);
const values = (unit: Unit, section: string, key: string): string[] => unit.get(section)?.get(key) ?? [];

const UNIT_FILES = SERVICE_DIRS.flatMap((service) => {
  const dir = join(REPO, "services", service, "systemd");
  return existsSync(dir) ? readdirSync(dir).map((file) => ({ service, path: join(dir, file), name: file })) : [];
});
const SERVICES = UNIT_FILES.filter((unit) => unit.name.endsWith(".service"));
const TIMERS = UNIT_FILES.filter((unit) => unit.name.endsWith(".timer"));
const MODEL = parseUnit(join(REPO, "services/metrics-collector/systemd/m10-metrics-collector.service"));
const timerRun = new Set(TIMERS.map((timer) => value(parseUnit(timer.path), "Timer", "Unit")));

describe("systemd units (every unit under services/*/systemd/)", () => {
  it("every service directory ships at least one unit", () => {
    expect(SERVICE_DIRS.filter((service) => !SERVICES.some((unit) => unit.service === service))).toEqual([]);
  });

  it("verify without a warning (systemd-analyze verify)", async () => {
    const paths = UNIT_FILES.map((unit) => unit.path);
    // Timers are verified together with their services (a timer needs the unit it starts).
    const { stdout, stderr } = await run("systemd-analyze", ["verify", ...paths]).catch((error: { stdout?: string; stderr?: string; code?: unknown }) => {
      if (error.code === "ENOENT") throw new Error("systemd-analyze is not installed (Debian package systemd); the units cannot be verified without it");
      return { stdout: error.stdout ?? "", stderr: error.stderr ?? "" };
    });
    expect(`${stdout}${stderr}`.split("\n").filter((line) => paths.some((path) => line.includes(path)))).toEqual([]);
  });

  it.each(SERVICES)("$name: the model's hardening and common settings", ({ path }) => {
    const unit = parseUnit(path);
    for (const key of [...HARDENING, ...COMMON]) {
      if (key === "Type" && timerRun.has(basename(path))) continue;
      expect(values(unit, "Service", key), key).toEqual(values(MODEL, "Service", key));
    }
    expect(value(unit, "Service", "Environment")).toBeDefined();
    expect(values(unit, "Service", "Environment")).toEqual(expect.arrayContaining(["NODE_ENV=production", "PATH=/opt/m10/.tools/bin:/usr/local/bin:/usr/bin:/bin"]));
    expect(value(unit, "Service", "WatchdogSec"), "Node has no sd_notify").toBeUndefined();
  });

  it("every service unit has the model's systemd-analyze security exposure", async () => {
    const exposure = async (path: string): Promise<number> => {
      const { stdout } = await run("systemd-analyze", ["security", "--offline=yes", "--no-pager", path]);
      const match = /Overall exposure level for \S+: ([\d.]+)/.exec(stdout);
      if (!match) throw new Error(`no exposure level in systemd-analyze security output for ${path}`);
      return Number(match[1]);
    };
    const model = await exposure(join(REPO, "services/metrics-collector/systemd/m10-metrics-collector.service"));
    expect(model).toBeLessThanOrEqual(2);
    const levels = Object.fromEntries(await Promise.all(SERVICES.map(async (unit) => [unit.name, await exposure(unit.path)] as const)));
    expect(Object.entries(levels).filter(([, level]) => level > model)).toEqual([]);
  });

  it.each(SERVICES)("$name: starts its package's bin from /opt/m10", ({ service, path }) => {
    const bins = Object.values(readJson<{ bin: Record<string, string> }>(join(REPO, "services", service, "package.json")).bin);
    const start = value(parseUnit(path), "Service", "ExecStart") ?? "";
    const bin = bins.find((candidate) => start.startsWith(`/usr/bin/env node /opt/m10/services/${service}/${candidate.replace(/^\.\//, "")}`));
    expect(bin, start).toBeDefined();
  });

  it.each(SERVICES.filter((unit) => !timerRun.has(unit.name)))("$name (a daemon): restarts always, but not after a configuration error (exit 2), and is enabled for boot", ({ path }) => {
    const unit = parseUnit(path);
    expect(value(unit, "Service", "Restart")).toBe("always");
    expect(value(unit, "Service", "RestartPreventExitStatus")).toBe("2");
    expect(value(unit, "Install", "WantedBy")).toBe("multi-user.target");
    expect(Number(value(unit, "Service", "TimeoutStopSec"))).toBeGreaterThan(25); // above M10_SHUTDOWN_TIMEOUT_MS
  });

  it("a timer names an existing service, and that service has no [Install] (the timer starts it)", () => {
    expect(TIMERS.length).toBeGreaterThan(0);
    for (const timer of TIMERS) {
      const started = value(parseUnit(timer.path), "Timer", "Unit");
      const service = SERVICES.find((unit) => unit.name === started);
      expect(service, timer.name).toBeDefined();
      const unit = parseUnit(service?.path ?? "");
      expect(unit.has("Install"), started).toBe(false);
      expect(value(unit, "Service", "Type")).toBe("oneshot");
    }
  });

  it("ingest's V8 heap cap (old generation + young generation) leaves at least 128 MB below MemoryMax", () => {
    const unit = parseUnit(join(REPO, "services/ingest/systemd/m10-ingest.service"));
    const nodeOptions = values(unit, "Service", "Environment").find((setting) => setting.includes("NODE_OPTIONS=")) ?? "";
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    const semiSpace = Number(/--max-semi-space-size=(\d+)/.exec(nodeOptions)?.[1] ?? 16);
    const memoryMax = /^(\d+)M$/.exec(value(unit, "Service", "MemoryMax") ?? "");
    expect(oldSpace).toBeGreaterThan(0);
    expect(memoryMax).not.toBeNull();
    expect(oldSpace + 3 * semiSpace + 128).toBeLessThanOrEqual(Number(memoryMax?.[1]));
    // The image runs with the same cap.
    expect(readFileSync(join(REPO, "services/ingest/Dockerfile"), "utf8")).toContain(`--max-old-space-size=${oldSpace}`);
  });
});
