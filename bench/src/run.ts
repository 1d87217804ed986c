// make bench: each benchmark on a fresh stack; JSON results in bench/results/<name>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
