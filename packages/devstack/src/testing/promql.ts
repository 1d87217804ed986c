// Which metrics a PromQL expression (an alert rule, a recording rule, a dashboard panel) reads.

const PROMQL_KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

/** Series Prometheus itself creates for every scrape target. */
export const PROMETHEUS_SERIES: ReadonlySet<string> = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added"]);

/**
 * Metric names referenced by a PromQL expression: strings, label matchers, ranges, label lists and
 * offsets removed; identifiers followed by "(" are functions or aggregations, not metrics.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\boffset\s+-?\w+/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, identifier, call] = match;
    if (identifier && !call && !PROMQL_KEYWORDS.has(identifier.toLowerCase())) names.add(identifier);
  }
  return [...names];
}
