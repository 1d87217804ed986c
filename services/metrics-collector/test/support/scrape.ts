/** Reading a /metrics page the way Prometheus does, for assertions on exported values. */
import { setTimeout as sleep } from "node:timers/promises";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Metric family names with a # TYPE line (exported, with or without samples). */
  families: Set<string>;
  samples: Sample[];
}

export function parseExposition(text: string): Exposition {
  const families = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) \S+/.exec(line);
    if (type?.[1]) families.add(type[1]);
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) if (pair[1]) labels[pair[1]] = pair[2] ?? "";
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { families, samples };
}

/** The value of the one sample with this name and (at least) these labels; undefined if absent. */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

export async function scrape(baseUrl: string): Promise<Exposition> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return parseExposition(await response.text());
}

/**
 * Scrapes until `accept` holds for an exposition whose collection finished after `since`
 * (unix seconds), and returns it; fails with the last exposition's collector gauges otherwise.
 */
export async function scrapeUntil(
  baseUrl: string,
  accept: (exposition: Exposition) => boolean,
  options: { since?: number; timeoutMs?: number } = {},
): Promise<Exposition> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: Exposition | undefined;
  while (Date.now() < deadline) {
    last = await scrape(baseUrl);
    const collectedAt = valueOf(last, "m10_last_collection_timestamp_seconds");
    const fresh = options.since === undefined || (collectedAt !== undefined && collectedAt > options.since);
    if (fresh && accept(last)) return last;
    await sleep(200);
  }
  const shown = last?.samples.filter((s) => /^(m10_|recovery_)/.test(s.name) && !s.name.endsWith("_bucket")) ?? [];
  throw new Error(`condition not met before the deadline; last scrape:\n${shown.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join("\n")}`);
}
