/** Scraping the running collector until its exposition shows what a test waits for. */
import { scrape, valueOf, waitUntil, type Exposition } from "@m10/devstack/testing";

/**
 * Scrapes until `accept` holds for an exposition whose collection finished after `since`
 * (unix seconds), and returns it; fails with the last exposition's collector gauges otherwise.
 */
export async function scrapeUntil(
  baseUrl: string,
  accept: (exposition: Exposition) => boolean,
  options: { since?: number; timeoutMs?: number } = {},
): Promise<Exposition> {
  let last: Exposition | undefined;
  const fresh = (exposition: Exposition) => {
    const collectedAt = valueOf(exposition, "m10_last_collection_timestamp_seconds");
    return options.since === undefined || (collectedAt !== undefined && collectedAt > options.since);
  };
  try {
    await waitUntil(
      "a collection that meets the condition",
      async () => {
        last = await scrape(baseUrl);
        return fresh(last) && accept(last);
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 200 },
    );
  } catch (error) {
    const shown = last?.samples.filter((s) => /^(m10_|recovery_)/.test(s.name) && !s.name.endsWith("_bucket")) ?? [];
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last scrape:\n${shown.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join("\n")}`);
  }
  return last as Exposition;
}
