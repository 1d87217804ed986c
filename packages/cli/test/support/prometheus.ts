// The compose stack's Prometheus, as the tests run it: the real /usr/bin/prometheus on
// infra/prometheus/prometheus.yml (rule files included) on a free loopback port, with the
// lifecycle endpoints enabled, behind packages/cli/src/prometheus-gate.ts run the way the compose
// service runs it (`node prometheus-gate.ts`, nothing built).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@m10/devstack";
import { waitUntil } from "@m10/devstack/testing";

export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
export const PROMETHEUS_CONFIG = join(REPO, "infra/prometheus/prometheus.yml");
const GATE = join(REPO, "packages/cli/src/prometheus-gate.ts");

export interface GatedPrometheus {
  /** The gate: where operators (and the runbook's PROMETHEUS_URL) talk to Prometheus. */
  url: string;
  /** Prometheus itself, behind the gate. */
  upstreamUrl: string;
  token: string;
  dir: string;
  stop(): Promise<void>;
}

function start(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

async function answers(url: string): Promise<boolean> {
  return (await fetch(url)).ok;
}

export async function startGatedPrometheus(configFile = PROMETHEUS_CONFIG): Promise<GatedPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "m10-prometheus-"));
  const [upstreamPort, gatePort] = [await freePort(), await freePort()];
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const prometheus = start(
    "/usr/bin/prometheus",
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${upstreamPort}`, "--web.enable-lifecycle"],
    join(dir, "prometheus.log"),
  );
  const token = `test-reload-token-${gatePort}-0123456789abcdef`;
  const gate = start(process.execPath, [GATE], join(dir, "gate.log"), {
    ...process.env,
    PROM_RELOAD_TOKEN: token,
    PROM_GATE_LISTEN: `127.0.0.1:${gatePort}`,
    PROM_UPSTREAM_URL: upstreamUrl,
  });
  const url = `http://127.0.0.1:${gatePort}`;
  const stop = async () => {
    await Promise.all([stopChild(gate), stopChild(prometheus)]);
  };
  try {
    await waitUntil("Prometheus answers through the gate", () => answers(`${url}/-/ready`), { timeoutMs: 60_000, intervalMs: 250 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, upstreamUrl, token, dir, stop };
}
