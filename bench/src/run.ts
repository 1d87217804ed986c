// make bench: each benchmark on a fresh stack; JSON results in bench/results/<name>.json, and the
// chart of the latest result of every benchmark in bench/results/<date>.svg and latest.svg.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchDocuments, renderChart } from "./chart.js";
import { ingestBench } from "./ingest-bench.js";
import { outboxBench } from "./outbox-bench.js";
import { pipelineBench } from "./pipeline-bench.js";
import { workerBench } from "./worker-bench.js";

type Bench = (seconds: number) => Promise<Record<string, unknown>>;
const BENCHES: Record<string, Bench> = { ingest: ingestBench, worker: workerBench, outbox: outboxBench, pipeline: pipelineBench };

const args = process.argv.slice(2);
const secondsFlag = args.indexOf("--seconds");
const seconds = secondsFlag >= 0 ? Number(args[secondsFlag + 1]) : 15;
const names = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--seconds");
const selected = names.length > 0 ? names : Object.keys(BENCHES);
const resultsDir = fileURLToPath(new URL("../results", import.meta.url));
mkdirSync(resultsDir, { recursive: true });

let failed = false;
for (const name of selected) {
  const bench = BENCHES[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}\n`);
    process.exitCode = 2;
    continue;
  }
  process.stderr.write(`[bench] ${name} (${seconds} s per phase)\n`);
  try {
    const figures = await bench(seconds);
    const document = {
      benchmark: name,
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version },
      ...figures,
    };
    const file = join(resultsDir, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    process.stderr.write(`[bench] ${name} → ${file}\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(`[bench] ${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
}
if (failed) process.exitCode = 1;

/** The chart of the newest document of each benchmark, as <date>.svg and latest.svg (the README shows it). */
function writeChart(): void {
  const documents: BenchDocuments = {};
  for (const name of Object.keys(BENCHES)) {
    const file = join(resultsDir, `${name}.json`);
    if (existsSync(file)) documents[name] = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  }
  if (Object.keys(documents).length === 0) return;
  const now = new Date();
  const caption = `${now.toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} CPUs shared by load generator, servers and services; 1-minute load average at the end: ${loadavg()[0]?.toFixed(2)}`;
  const svg = renderChart(documents, caption);
  const file = join(resultsDir, `${now.toISOString().slice(0, 10)}.svg`);
  writeFileSync(file, svg);
  writeFileSync(join(resultsDir, "latest.svg"), svg);
  process.stderr.write(`[bench] chart → ${file}\n`);
}

writeChart();
