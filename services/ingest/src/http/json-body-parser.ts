// The only body parser: JSON in UTF-8. Everything else is a 415. Invalid UTF-8, nesting deeper
// than the limit, bad JSON and __proto__/constructor poisoning are 400s with a stable code.
import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import { BadRequestError } from "../errors.js";

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

export function registerJsonBodyParser(app: FastifyInstance, maxDepth: number): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new BadRequestError("The body is not valid UTF-8", { code: "invalid_utf8", location: "body" }), undefined);
      return;
    }
    if (jsonDepthExceeds(bytes, maxDepth)) {
      done(new JsonNestingError(maxDepth), undefined);
      return;
    }
    parseJson(request, bytes.toString("utf8"), done);
  });
}
