// Schema validation: bodies are checked strictly (no type coercion, so {"error_type": 123} is a
// 400, not "123"); query strings and path parameters are text on the wire and are coerced.
// Besides JSON Schema's maxLength (code points), `maxBytes` bounds a string's UTF-8 length, for
// text that goes into an index whose rows are bounded in bytes (a pin's key).
import { Ajv, type ErrorObject, type FuncKeywordDefinition, type Options, type SchemaValidateFunction } from "ajv";
import * as ajvFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

const addFormats = ajvFormats.default as unknown as (ajv: Ajv) => Ajv;

const common: Options = {
  allErrors: false,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
  unicodeRegExp: true,
};

const maxBytes: FuncKeywordDefinition = {
  keyword: "maxBytes",
  type: "string",
  schemaType: "number",
  errors: true,
  validate: function validate(limit: number, data: string): boolean {
    if (Buffer.byteLength(data, "utf8") <= limit) return true;
    (validate as SchemaValidateFunction).errors = [{ keyword: "maxBytes", message: `must NOT have more than ${limit} bytes in UTF-8`, params: { limit } }];
    return false;
  },
};

/** Validation keywords whose failure means "too long" (code value_too_long). */
export const LENGTH_KEYWORDS = new Set(["maxLength", "maxBytes"]);

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = addFormats(new Ajv({ ...common, coerceTypes: false, keywords: [maxBytes] }));
  const coercing = addFormats(new Ajv({ ...common, coerceTypes: "array", keywords: [maxBytes] }));
  return ({ schema, httpPart }) => (httpPart === "body" ? strict : coercing).compile(schema as object);
}

export type ValidationLocation = "body" | "query" | "path" | "header";

export function locationOf(context: string | undefined): ValidationLocation {
  switch (context) {
    case "querystring":
      return "query";
    case "params":
      return "path";
    case "headers":
      return "header";
    default:
      return "body";
  }
}

/** The field an ajv error is about, as a dotted path ("failure_payload.error_type", "items.3.failure_match_id"). */
export function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (params.missingProperty !== undefined) path.push(params.missingProperty);
  else if (params.additionalProperty !== undefined) path.push(params.additionalProperty);
  return path.join(".") || "(root)";
}

/** A message that names the field and the rule, e.g. "failure_match_id must match format \"uuid\"". */
export function describe(error: ErrorObject): string {
  const field = fieldOf(error);
  if (error.keyword === "required") return `${field} is required`;
  return `${field} ${error.message ?? "is invalid"}`;
}
