// The `source` label of recovery_ingest_total comes from request bodies, so its values are
// bounded: well-formed short names, at most `maxValues` distinct ones, everything else "other".

const LABEL_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;

export class SourceLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly maxValues = 100) {}

  of(source: unknown): string {
    if (source === undefined || source === null) return "api";
    if (typeof source !== "string" || !LABEL_VALUE.test(source)) return "other";
    if (this.seen.has(source)) return source;
    if (this.seen.size >= this.maxValues) return "other";
    this.seen.add(source);
    return source;
  }
}
