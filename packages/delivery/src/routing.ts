import { readFileSync } from "node:fs";
import { z } from "zod";
import { errorMessage, parseJsonText } from "@m10/shared";
import { RoutingConfigError } from "./errors.js";
import { webhookSecretKey } from "./signature.js";

// The routing configuration: which targets each event type goes to, and the targets themselves.
// One JSON document (OUTBOX_ROUTES_FILE or OUTBOX_ROUTES_JSON); without one, every event goes to
// NATS JetStream (<prefix>.<event_type>), so a fresh stack delivers for real.

/** Standard Webhooks: a signing key is 24 to 64 random bytes. */
const MIN_SIGNING_KEY_BYTES = 24;

export const TARGET_TYPES = ["webhook", "slack", "email", "nats"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export interface ThrottleSettings {
  /** Requests per minute shared by all processors (0 = unlimited). */
  rpm: number;
  timeoutSeconds: number;
}

/** The handbook's per-target throttle (Risk 3: Outbox External Endpoint Issues); NATS is unthrottled. */
export const DEFAULT_THROTTLES: Readonly<Record<TargetType, ThrottleSettings>> = {
  slack: { rpm: 60, timeoutSeconds: 10 },
  webhook: { rpm: 100, timeoutSeconds: 30 },
  email: { rpm: 30, timeoutSeconds: 20 },
  nats: { rpm: 0, timeoutSeconds: 5 },
};

const throttleFields = {
  rpm: z.number().int().min(0).optional().describe("requests per minute across all processors; 0 = unlimited"),
  timeout_seconds: z.number().positive().max(600).optional(),
};

const webhookSchema = z
  .object({
    type: z.literal("webhook"),
    url: z.url(),
    secret: z
      .string()
      .startsWith("whsec_", "must be a Standard Webhooks secret (whsec_<base64>)")
      .refine((secret) => webhookSecretKey(secret).length >= MIN_SIGNING_KEY_BYTES, `must hold at least ${MIN_SIGNING_KEY_BYTES} bytes of key (whsec_<base64>, Standard Webhooks)`)
      .optional(),
    headers: z.record(z.string(), z.string()).optional(),
    ...throttleFields,
  })
  .strict();

const slackSchema = z
  .object({
    type: z.literal("slack"),
    url: z.url(),
    text: z.string().optional().describe("template of the message text"),
    ...throttleFields,
  })
  .strict();

const emailSchema = z
  .object({
    type: z.literal("email"),
    smtp_url: z.string().optional().describe("smtp://user:pass@host:587 or smtps://host:465"),
    host: z.string().optional(),
    port: z.number().int().positive().optional(),
    secure: z.boolean().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    tls_reject_unauthorized: z.boolean().optional(),
    from: z.string().min(1),
    to: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    subject: z.string().optional().describe("template of the subject"),
    body: z.string().optional().describe("template of the text body"),
    ...throttleFields,
  })
  .strict()
  .refine((t) => t.smtp_url !== undefined || t.host !== undefined, { message: "needs smtp_url or host" });

const natsSchema = z
  .object({
    type: z.literal("nats"),
    stream: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
    subject_prefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).optional(),
    replicas: z.number().int().min(1).max(5).optional().describe("JetStream replicas of the stream (default OUTBOX_NATS_REPLICAS)"),
    ...throttleFields,
  })
  .strict();

const targetSchema = z.union([webhookSchema, slackSchema, emailSchema, natsSchema]);

const throttleOverride = z.object(throttleFields).strict().optional();
const defaultsSchema = z
  .object({ webhook: throttleOverride, slack: throttleOverride, email: throttleOverride, nats: throttleOverride })
  .strict();

export const routingFileSchema = z
  .object({
    /** Per-type throttle and timeout defaults, overriding the handbook's. */
    defaults: defaultsSchema.optional(),
    targets: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "target names use letters, digits, _ . -"), targetSchema),
    /** Event type (exact), "<prefix>*" or "*" -> target names. */
    routes: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)),
  })
  .strict();

export type RoutingFile = z.infer<typeof routingFileSchema>;
export type WebhookTargetSpec = z.infer<typeof webhookSchema>;
export type SlackTargetSpec = z.infer<typeof slackSchema>;
export type EmailTargetSpec = z.infer<typeof emailSchema>;
export type NatsTargetSpec = z.infer<typeof natsSchema>;
export type TargetSpec = WebhookTargetSpec | SlackTargetSpec | EmailTargetSpec | NatsTargetSpec;

/** A configured target with its effective throttle. */
export type ResolvedTarget = { name: string; throttle: ThrottleSettings } & (
  | { type: "webhook"; spec: WebhookTargetSpec }
  | { type: "slack"; spec: SlackTargetSpec }
  | { type: "email"; spec: EmailTargetSpec }
  | { type: "nats"; spec: NatsTargetSpec; stream: string; subjectPrefix: string; replicas: number }
);

export interface RoutingConfig {
  targets: ReadonlyMap<string, ResolvedTarget>;
  /** Per-type throttles after `defaults` (payload-addressed events use webhook and slack). */
  typeThrottles: Readonly<Record<TargetType, ThrottleSettings>>;
  /** The targets of an event type: exact route, then the longest matching "<prefix>*", then "*". */
  targetsFor(eventType: string): ResolvedTarget[] | undefined;
  /** Where the configuration came from, for logs. */
  source: string;
}

export interface RoutingSources {
  OUTBOX_ROUTES_FILE?: string | undefined;
  OUTBOX_ROUTES_JSON?: string | undefined;
  OUTBOX_NATS_STREAM: string;
  OUTBOX_NATS_SUBJECT_PREFIX: string;
  /** Replicas of the streams M10 creates; absent = 1. */
  OUTBOX_NATS_REPLICAS?: number;
}

/** Without a routing file: every event to NATS JetStream, `<prefix>.<event_type>` in `stream`. */
export function defaultRoutingFile(): RoutingFile {
  return { targets: { nats: { type: "nats" } }, routes: { "*": ["nats"] } };
}

/** Reads and validates the routing configuration: OUTBOX_ROUTES_FILE, else OUTBOX_ROUTES_JSON, else the NATS default. */
/** loadRoutingConfig for a process's start-up: an invalid file is reported on stderr and the process exits 2. */
export function loadRoutingOrExit(sources: RoutingSources, program: string): RoutingConfig {
  try {
    return loadRoutingConfig(sources);
  } catch (error) {
    if (!(error instanceof RoutingConfigError)) throw error;
    process.stderr.write(`${program}: ${error.message}\n`);
    process.exit(2);
  }
}

export function loadRoutingConfig(sources: RoutingSources, readFile: (path: string) => string = (path) => readFileSync(path, "utf8")): RoutingConfig {
  if (sources.OUTBOX_ROUTES_FILE) {
    let text: string;
    try {
      text = readFile(sources.OUTBOX_ROUTES_FILE);
    } catch (error) {
      throw new RoutingConfigError([`OUTBOX_ROUTES_FILE ${sources.OUTBOX_ROUTES_FILE}: ${(error as Error).message}`]);
    }
    return resolveRouting(parseRoutingJson(text, `OUTBOX_ROUTES_FILE ${sources.OUTBOX_ROUTES_FILE}`), sources, `file:${sources.OUTBOX_ROUTES_FILE}`);
  }
  if (sources.OUTBOX_ROUTES_JSON) {
    return resolveRouting(parseRoutingJson(sources.OUTBOX_ROUTES_JSON, "OUTBOX_ROUTES_JSON"), sources, "env:OUTBOX_ROUTES_JSON");
  }
  return resolveRouting(defaultRoutingFile(), sources, "default:nats");
}

export function parseRoutingJson(text: string, where: string): RoutingFile {
  let raw: unknown;
  try {
    // The text holds secrets (webhook secrets, Slack URLs, SMTP passwords): errors never quote it.
    raw = parseJsonText(text);
  } catch (error) {
    throw new RoutingConfigError([`${where}: ${errorMessage(error)}`]);
  }
  const parsed = routingFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RoutingConfigError(parsed.error.issues.map((issue) => `${where}: ${issue.path.join(".") || "(root)"}: ${issue.message}`));
  }
  return parsed.data;
}

/** Checks cross-references and applies the throttle defaults. */
export function resolveRouting(file: RoutingFile, nats: Pick<RoutingSources, "OUTBOX_NATS_STREAM" | "OUTBOX_NATS_SUBJECT_PREFIX" | "OUTBOX_NATS_REPLICAS">, source = "inline"): RoutingConfig {
  const typeThrottles = Object.fromEntries(
    TARGET_TYPES.map((type) => {
      const override = file.defaults?.[type];
      return [
        type,
        { rpm: override?.rpm ?? DEFAULT_THROTTLES[type].rpm, timeoutSeconds: override?.timeout_seconds ?? DEFAULT_THROTTLES[type].timeoutSeconds },
      ];
    }),
  ) as Record<TargetType, ThrottleSettings>;

  const targets = new Map<string, ResolvedTarget>();
  for (const [name, spec] of Object.entries(file.targets)) {
    const throttle = { rpm: spec.rpm ?? typeThrottles[spec.type].rpm, timeoutSeconds: spec.timeout_seconds ?? typeThrottles[spec.type].timeoutSeconds };
    switch (spec.type) {
      case "webhook":
        targets.set(name, { name, throttle, type: "webhook", spec });
        break;
      case "slack":
        targets.set(name, { name, throttle, type: "slack", spec });
        break;
      case "email":
        targets.set(name, { name, throttle, type: "email", spec });
        break;
      case "nats":
        targets.set(name, {
          name,
          throttle,
          type: "nats",
          spec,
          stream: spec.stream ?? nats.OUTBOX_NATS_STREAM,
          subjectPrefix: spec.subject_prefix ?? nats.OUTBOX_NATS_SUBJECT_PREFIX,
          replicas: spec.replicas ?? nats.OUTBOX_NATS_REPLICAS ?? 1,
        });
        break;
    }
  }

  const issues: string[] = [];
  const routes = new Map<string, ResolvedTarget[]>();
  for (const [pattern, names] of Object.entries(file.routes)) {
    if (pattern.includes("*") && !pattern.endsWith("*")) issues.push(`routes.${pattern}: "*" is only allowed at the end`);
    if ((pattern.match(/\*/g) ?? []).length > 1) issues.push(`routes.${pattern}: only one "*"`);
    const resolved: ResolvedTarget[] = [];
    for (const name of new Set(names)) {
      const target = targets.get(name);
      if (target) resolved.push(target);
      else issues.push(`routes.${pattern}: unknown target "${name}"`);
    }
    routes.set(pattern, resolved);
  }
  const prefixes = [...routes.keys()].filter((p) => p.endsWith("*")).sort((a, b) => b.length - a.length);
  if (issues.length > 0) throw new RoutingConfigError(issues);

  return {
    targets,
    typeThrottles,
    source,
    targetsFor(eventType) {
      const exact = routes.get(eventType);
      if (exact) return exact;
      const prefix = prefixes.find((p) => eventType.startsWith(p.slice(0, -1)));
      return prefix ? routes.get(prefix) : undefined;
    },
  };
}
