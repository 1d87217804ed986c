import { z } from "zod";
import { redisKeyIssues, withRedisKeyDefaults } from "./redis-keys.js";

/** Every problem with the environment at once, so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  - ${issues.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export type Env = Record<string, string | undefined>;

/** The shortest token (bearer, machine, token-file entry) a service accepts, in bytes. */
export const MIN_TOKEN_BYTES = 32;

export function isLongEnoughToken(token: string): boolean {
  return token === "" || Buffer.byteLength(token, "utf8") >= MIN_TOKEN_BYTES;
}

/** Parses `env` (process.env by default) with a zod object schema whose keys are variable names. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const usesRedisKeys = "M10_REDIS_KEY_PREFIX" in schema.shape;
  const input = usesRedisKeys ? withRedisKeyDefaults(env) : env;
  const result = schema.safeParse(input);
  const issues = [
    ...(result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`)),
    ...(usesRedisKeys ? redisKeyIssues(input) : []),
  ];
  if (!result.success || issues.length > 0) throw new ConfigError(issues);
  return result.data;
}

export interface VariableDoc {
  name: string;
  default: string;
  description: string;
}

/** The documentation of a schema's variables (name, default, description), for --help and READMEs. */
export function describeEnv(schema: z.ZodObject): VariableDoc[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    // The default is whatever the field yields for an absent variable (after any transform).
    const absent = (field as z.ZodType).safeParse(undefined);
    const fallback = absent.success ? absent.data : undefined;
    return {
      name,
      default: !absent.success ? "(required)" : fallback === undefined ? "(unset)" : fallback === "" ? '""' : String(fallback),
      description: (field as z.ZodType).description ?? "",
    };
  });
}

export function formatEnvDocs(schema: z.ZodObject): string {
  const docs = describeEnv(schema);
  const width = Math.max(...docs.map((doc) => doc.name.length));
  return docs.map((doc) => `  ${doc.name.padEnd(width)}  ${doc.description} (default: ${doc.default})`).join("\n");
}

/** Building blocks for variables, so every schema reads the same way. */
export const env = {
  string: (fallback: string, description: string) => z.string().default(fallback).describe(description),
  optionalString: (description: string) => z.string().optional().describe(description),
  requiredUrl: (description: string) => z.string({ error: "is required" }).min(1, "is required").describe(description),
  int: (fallback: number, description: string, min = 0) => z.coerce.number().int().min(min).default(fallback).describe(description),
  optionalInt: (description: string, min = 0) => z.coerce.number().int().min(min).optional().describe(description),
  /** Negative values are refused unless `min` allows them (a negative backoff or interval is a typo, not a setting). */
  number: (fallback: number, description: string, min = 0) => z.coerce.number().min(min).default(fallback).describe(description),
  /** A secret token: at least MIN_TOKEN_BYTES bytes (UTF-8), or empty for none; an error never shows the value. */
  token: (description: string) =>
    z
      .string()
      .refine(isLongEnoughToken, { message: `must be at least ${MIN_TOKEN_BYTES} bytes (empty for none)` })
      .optional()
      .describe(description),
  bool: (fallback: boolean, description: string) =>
    z
      .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], { error: "must be true or false" })
      .default(fallback ? "true" : "false")
      .transform((value) => ["true", "1", "yes", "on"].includes(value))
      .describe(description),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("pino log level"),
};

/** parseEnv for a process entry point: prints every problem and exits 2 instead of throwing. */
export function loadConfigOrExit<S extends z.ZodObject>(schema: S, service: string, env: Env = process.env): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(2);
  }
}
