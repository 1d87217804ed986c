// `m10ctl pins seed`: a JSON file of memory pins, upserted one by one through the ingest API
// (POST /api/v1/memory/pins creates or replaces, so running a file twice leaves the same pins).
// The API, not the database, is the way in: RBAC, tenant rules, bounds and the memory audit apply.
import { readFileSync } from "node:fs";
import { errorMessage, parseJsonText, sleep } from "@m10/shared";
import { z } from "zod";
import { CommandError, EXIT_USAGE } from "./output.js";

const pinSchema = z.object({
  tenant_id: z.string().min(1).optional(),
  key: z.string().min(1),
  value: z.record(z.string(), z.unknown()),
  ttl_seconds: z.number().int().min(0).nullable().optional(),
  source: z.string().min(1).optional(),
});
export type SeedPin = z.infer<typeof pinSchema>;

/** An array of pins, or the seed's `{"pins": [...]}`. */
const seedFileSchema = z.preprocess(
  (file) => (file !== null && typeof file === "object" && !Array.isArray(file) && "pins" in file ? file.pins : file),
  z.array(pinSchema),
);

/** The file's pins; every problem (by pin position) in one usage error before anything is written. */
export function readPinSeedFile(file: string): SeedPin[] {
  let parsed: unknown;
  try {
    parsed = parseJsonText(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CommandError(`${file}: ${errorMessage(error)}`, EXIT_USAGE);
  }
  const result = seedFileSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(file)"}: ${issue.message}`);
    throw new CommandError(`${file}: not a list of pins ({"tenant_id"?, "key", "value": {...}, "ttl_seconds"?, "source"?}):\n${problems.join("\n")}`, EXIT_USAGE);
  }
  return result.data;
}

export type PinOutcome = "created" | "replaced" | "failed";

export interface PinSeedResult {
  tenant_id: string | null;
  key: string;
  outcome: PinOutcome;
  http_status: number | null;
  /** The problem's code (or the network error) of a failed pin. */
  error: string | null;
}

export interface SeedOptions {
  base: string;
  token: string;
  /** Most waits on a 429 (rate limit) per pin before the pin counts as failed. */
  maxRateLimitWaits: number;
  onResult(done: number, total: number, result: PinSeedResult): void;
}

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RETRY_AFTER_MS = 60_000;

async function upsert(pin: SeedPin, options: SeedOptions): Promise<PinSeedResult> {
  const result: PinSeedResult = { tenant_id: pin.tenant_id ?? null, key: pin.key, outcome: "failed", http_status: null, error: null };
  for (let waits = 0; ; waits++) {
    let response: Response;
    try {
      response = await fetch(`${options.base.replace(/\/+$/, "")}/api/v1/memory/pins`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-machine-token": options.token },
        body: JSON.stringify({ source: "seed", ...pin }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      result.error = error instanceof Error && error.cause instanceof Error ? error.cause.message : errorMessage(error);
      return result;
    }
    result.http_status = response.status;
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (response.status === 429 && waits < options.maxRateLimitWaits) {
      // The pins budget is per tenant per window: wait as told, then try again.
      const seconds = Number(response.headers.get("retry-after"));
      await sleep(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : 1_000, MAX_RETRY_AFTER_MS));
      continue;
    }
    if (response.status === 201 && body) {
      result.tenant_id = String(body.tenant_id);
      result.outcome = body.created_at === body.updated_at ? "created" : "replaced";
    } else {
      result.error = typeof body?.code === "string" ? `${body.code}: ${String(body.detail ?? body.title ?? "")}` : `HTTP ${response.status}`;
    }
    return result;
  }
}

/** Upserts the pins in file order (one request at a time: the pins rate limit is per tenant). */
export async function seedPins(pins: readonly SeedPin[], options: SeedOptions): Promise<PinSeedResult[]> {
  const results: PinSeedResult[] = [];
  for (const pin of pins) {
    const result = await upsert(pin, options);
    results.push(result);
    options.onResult(results.length, pins.length, result);
  }
  return results;
}
