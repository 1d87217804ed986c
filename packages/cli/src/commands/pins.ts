import { positiveInt } from "@m10/shared";
import type { Command } from "commander";
import { context } from "../context.js";
import { CommandError, EXIT_FAILED, EXIT_USAGE, type Output } from "../output.js";
import { readPinSeedFile, seedPins, type PinSeedResult } from "../pin-seed.js";
import { createProgress } from "../progress.js";
import { table } from "../table.js";

interface SeedCommandOptions {
  file: string;
  base?: string;
  tokenEnv: string;
  rateLimitWaits: number;
}

export function registerPins(program: Command, output: () => Output): void {
  const pins = program.command("pins").description("memory pins through the ingest API");
  pins
    .command("seed")
    .description("create or replace every pin of a JSON file through POST /api/v1/memory/pins (idempotent: a second run changes nothing but updated_at)")
    .requiredOption("--file <path>", 'JSON array of pins: [{"tenant_id": "global", "key": "...", "value": {...}, "ttl_seconds": 3600, "source": "seed"}] (or {"pins": [...]})')
    .option("--base <url>", "ingest API base URL (default INGEST_URL)")
    .option("--token-env <name>", "environment variable holding the machine token (sent as X-Machine-Token)", "M10_MACHINE_TOKEN")
    .option("--rate-limit-waits <n>", "how often one pin waits out a 429 (Retry-After) before it counts as failed", positiveInt, 5)
    .addHelpText(
      "after",
      `
Each pin is sent as it is in the file (source defaults to "seed"). tenant_id may name any tenant the
machine token may act for (M10_MACHINE_TOKEN_TENANTS on ingest, default any); without it the pin is
the token's tenant's ("default"). The file is checked first: a malformed file writes nothing (exit 2).
Progress goes to stderr (a bar on a terminal, one line per pin otherwise); the summary to stdout.
Exit code 1 when any pin failed (each failure is listed with its HTTP status and problem code).

Examples:
  source .m10/stack.env
  m10ctl pins seed --file docs/runbooks/pins.seed.json --base "$INGEST_URL"
  MACHINE_JWT=$M10_MACHINE_TOKEN m10ctl pins seed --file pins.json --base http://localhost:8000 --token-env MACHINE_JWT
  m10ctl pins seed --file pins.json --json`,
    )
    .action(async (options: SeedCommandOptions) => {
      const out = output();
      const token = process.env[options.tokenEnv];
      if (!token) throw new CommandError(`${options.tokenEnv} is not set: export the machine token (source .m10/stack.env after \`make up\`) or name its variable with --token-env`, EXIT_USAGE);
      const pinsToSeed = readPinSeedFile(options.file);
      const base = options.base ?? context().config.INGEST_URL;
      const bar = createProgress(out.json);
      const lines = !process.stderr.isTTY;
      let results: PinSeedResult[];
      try {
        results = await seedPins(pinsToSeed, {
          base,
          token,
          maxRateLimitWaits: options.rateLimitWaits,
          onResult(done, total, result) {
            bar.update(done, total, "pins");
            const name = `${result.tenant_id ?? "(token's tenant)"}/${result.key}`;
            if (result.outcome === "failed") process.stderr.write(`[${done}/${total}] ${name}: FAILED (${result.http_status ?? "no answer"}) ${result.error ?? ""}\n`);
            else if (lines) process.stderr.write(`[${done}/${total}] ${name}: ${result.outcome}\n`);
          },
        });
      } finally {
        bar.stop();
      }
      const count = (outcome: PinSeedResult["outcome"]) => results.filter((r) => r.outcome === outcome).length;
      const summary = { base, file: options.file, total: results.length, created: count("created"), replaced: count("replaced"), failed: count("failed") };
      const failures = results.filter((r) => r.outcome === "failed");
      out.result(
        { ...summary, failures },
        () =>
          [
            `Seeded ${summary.total} pins from ${options.file} into ${base}: ${summary.created} created, ${summary.replaced} replaced, ${summary.failed} failed`,
            ...(failures.length > 0
              ? [table(["tenant_id", "key", "http_status", "error"], failures.map((f) => [f.tenant_id ?? "", f.key, String(f.http_status ?? ""), f.error ?? ""]))]
              : []),
          ].join("\n"),
        failures.length > 0 ? EXIT_FAILED : 0,
      );
    });
}
