// Tokens → principals (subject, roles, tenant), from the environment and an optional JSON file.
// Lookups compare SHA-256 digests with timingSafeEqual against every entry, so the time taken
// says nothing about how much of a guess was right. A token that verified is remembered (a bounded
// map keyed by the exact presented string), so a client's later requests skip the hashing; unknown
// tokens are never remembered, so guesses always take the constant-time path and cannot fill it.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { isRole, ROLES, type Role } from "./permissions.js";
import { commaList } from "../config/address-range.js";
import { isLongEnoughToken, MIN_TOKEN_BYTES } from "../config/env.js";
import { parseJsonText } from "../config/json-text.js";
import { errorMessage } from "../error-message.js";

/** The tenants a principal may name besides its own: any, or these. */
export type TenantScope = "any" | readonly string[];

export interface Principal {
  subject: string;
  roles: Role[];
  tenant: string;
  /**
   * Set only for the built-in machine tokens (a trusted service credential): the tenants it may
   * act for by naming them (M10_MACHINE_TOKEN_TENANTS). Tokens from M10_RBAC_TOKENS_FILE never
   * have it, so a tenant's token stays pinned to its tenant.
   */
  actsFor?: TenantScope;
}

/** Whether `principal` may act for `tenant`: its own always, another only within its actsFor. */
export function mayActFor(principal: Principal, tenant: string): boolean {
  if (tenant === principal.tenant) return true;
  const scope = principal.actsFor;
  return scope === "any" || (scope !== undefined && scope.includes(tenant));
}

/** M10_MACHINE_TOKEN_TENANTS: "*" (any tenant), or a comma-separated list of tenants (empty: none but its own). */
function parseTenantScope(text: string): TenantScope {
  const tenants = commaList(text);
  return tenants.includes("*") ? "any" : tenants;
}

export const DEFAULT_TENANT = "default";

export class TokenFileError extends Error {
  constructor(file: string, problem: string) {
    super(`M10_RBAC_TOKENS_FILE ${file}: ${problem}`);
    this.name = "TokenFileError";
  }
}

// The file's keys are the secrets: problems name an entry by its position, never by its token.
const principalSchema = z.object({
    subject: z.string().min(1),
    roles: z.array(z.string().refine(isRole, { message: `roles are ${ROLES.join(", ")}` })).min(1),
    tenant: z.string().min(1).max(256).default(DEFAULT_TENANT),
});

/** Most verified tokens remembered at once; past it the map starts over (tokens are few in practice). */
const VERIFIED_CACHE_MAX = 1_024;

const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();

export class TokenStore {
  private readonly entries: { digest: Buffer; principal: Principal }[];
  private readonly verified = new Map<string, Principal>();

  constructor(tokens: ReadonlyMap<string, Principal>) {
    this.entries = [...tokens].map(([token, principal]) => ({ digest: digest(token), principal }));
  }

  get size(): number {
    return this.entries.length;
  }

  lookup(token: string): Principal | undefined {
    const known = this.verified.get(token);
    if (known) return known;
    const presented = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found ??= entry.principal;
    }
    if (found) {
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
      this.verified.set(token, found);
    }
    return found;
  }
}

export interface TokenSources {
  M10_ADMIN_TOKEN?: string | undefined;
  M10_MACHINE_TOKEN?: string | undefined;
  MACHINE_SECRET_TOKEN?: string | undefined;
  M10_RBAC_TOKENS_FILE?: string | undefined;
  /** Default "*": the machine tokens may act for any tenant they name. */
  M10_MACHINE_TOKEN_TENANTS?: string | undefined;
}

export function readTokenFile(file: string): Map<string, Principal> {
  let parsed: unknown;
  try {
    parsed = parseJsonText(readFileSync(file, "utf8"));
  } catch (error) {
    throw new TokenFileError(file, errorMessage(error));
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new TokenFileError(file, "must be a JSON object of token -> principal");
  const problems: string[] = [];
  const tokens = new Map<string, Principal>();
  Object.entries(parsed).forEach(([token, value], index) => {
    const entry = `entry ${index + 1}`;
    if (!isLongEnoughToken(token) || token === "") problems.push(`${entry}: the token must be at least ${MIN_TOKEN_BYTES} bytes`);
    const result = principalSchema.safeParse(value);
    if (!result.success) problems.push(...result.error.issues.map((issue) => `${entry}: ${[...issue.path].join(".") || "(principal)"}: ${issue.message}`));
    else tokens.set(token, { subject: result.data.subject, roles: result.data.roles as Role[], tenant: result.data.tenant });
  });
  if (problems.length > 0) throw new TokenFileError(file, problems.join("; "));
  return tokens;
}

/**
 * admin and machine tokens from the environment (tenant "default"; the machine tokens may also act
 * for the tenants of M10_MACHINE_TOKEN_TENANTS), then the file's entries (pinned to their tenant).
 */
export function loadTokenStore(sources: TokenSources): TokenStore {
  const tokens = new Map<string, Principal>();
  const machine: Principal = { subject: "machine", roles: ["machine"], tenant: DEFAULT_TENANT, actsFor: parseTenantScope(sources.M10_MACHINE_TOKEN_TENANTS ?? "*") };
  if (sources.M10_ADMIN_TOKEN) tokens.set(sources.M10_ADMIN_TOKEN, { subject: "admin", roles: ["admin"], tenant: DEFAULT_TENANT });
  if (sources.M10_MACHINE_TOKEN) tokens.set(sources.M10_MACHINE_TOKEN, machine);
  if (sources.MACHINE_SECRET_TOKEN) tokens.set(sources.MACHINE_SECRET_TOKEN, machine);
  if (sources.M10_RBAC_TOKENS_FILE) {
    for (const [token, principal] of readTokenFile(sources.M10_RBAC_TOKENS_FILE)) tokens.set(token, principal);
  }
  return new TokenStore(tokens);
}
