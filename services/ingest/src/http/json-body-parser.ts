// The only body parser: JSON in UTF-8, not content-encoded. Everything else is a 415 (another media
// type, or a Content-Encoding other than identity: the server decodes none). Invalid UTF-8, nesting
// deeper than the limit, bad JSON, __proto__/constructor poisoning and lone surrogates are 400s
// with a stable code.
import { isUtf8 } from "node:buffer";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { BadRequestError, UnsupportedContentEncodingError } from "../errors.js";
import { loneSurrogateField, mayHoldLoneSurrogate } from "./well-formed-text.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route refuses items of the body's `items` array with a lone surrogate one by one (the batch answers per item). */
    loneSurrogatesPerItem?: boolean;
  }
}

export class JsonNestingError extends BadRequestError {
  constructor(maxDepth: number) {
    super(`JSON nesting deeper than ${maxDepth} levels`, { code: "json_too_deep", location: "body" });
    this.name = "JsonNestingError";
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest object/array nesting in JSON text, ignoring brackets inside strings. Stops early past `limit`. */
export function jsonDepthExceeds(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Whether the body carries a content coding (anything but identity), which the server does not decode. */
function isContentEncoded(request: FastifyRequest): boolean {
  const coding = request.headers["content-encoding"]?.trim().toLowerCase();
  return Boolean(coding) && coding !== "identity";
}

/** The first field of a parsed body with a lone surrogate; on a per-item route, outside the items. */
function loneSurrogateIn(request: FastifyRequest, body: unknown): string | undefined {
  if (request.routeOptions.config.loneSurrogatesPerItem && body !== null && typeof body === "object" && "items" in body && Array.isArray(body.items)) {
    return loneSurrogateField({ ...body, items: [] });
  }
  return loneSurrogateField(body);
}

export function registerJsonBodyParser(app: FastifyInstance, maxDepth: number): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    if (isContentEncoded(request)) {
      done(new UnsupportedContentEncodingError(), undefined);
      return;
    }
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new BadRequestError("The body is not valid UTF-8", { code: "invalid_utf8", location: "body" }), undefined);
      return;
    }
    if (jsonDepthExceeds(bytes, maxDepth)) {
      done(new JsonNestingError(maxDepth), undefined);
      return;
    }
    const text = bytes.toString("utf8");
    parseJson(request, text, (error, parsed) => {
      const field = error || !mayHoldLoneSurrogate(text) ? undefined : loneSurrogateIn(request, parsed);
      if (field !== undefined) {
        done(new BadRequestError(`${field} holds a lone surrogate (not valid Unicode)`, { code: "invalid_unicode", field, location: "body" }), undefined);
        return;
      }
      done(error, parsed);
    });
  });
}
