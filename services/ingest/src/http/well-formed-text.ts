// Lone surrogates (docs/architecture.md §4.5, "Text"): `"\ud800"` is valid JSON but not Unicode, so
// no database or URL can hold it unaltered. Every body is checked after parsing and the first
// offending field is refused (400 invalid_unicode) instead of being stored altered.

/** In unicode mode a surrogate class matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** A JSON escape of a surrogate; raw UTF-8 cannot encode one (the body parser refuses invalid UTF-8). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether JSON text may hold a lone surrogate: a cheap test that spares the walk for almost every body. */
export function mayHoldLoneSurrogate(json: string): boolean {
  return SURROGATE_ESCAPE.test(json);
}

const join = (path: string, member: string | number) => (path === "" ? String(member) : `${path}.${member}`);

/**
 * The dotted path (as validation errors name fields: "failure_payload.raw", "items.3.source") of
 * the first string holding a lone surrogate, or of the object whose member name holds one;
 * undefined when all text is well formed. `path` is where `value` sits.
 */
export function loneSurrogateField(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path || "(root)" : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = loneSurrogateField(value[i], join(path, i));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [name, member] of Object.entries(value)) {
      if (LONE_SURROGATE.test(name)) return path || "(root)";
      const found = loneSurrogateField(member, join(path, name));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
