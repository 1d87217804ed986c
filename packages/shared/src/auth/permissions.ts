// Roles and the permission each route needs (issue 3 §5). No role ever comes from a request header.

export const PERMISSIONS = [
  "ingest:write",
  "recovery:read",
  "recovery:write",
  "recovery:approve",
  "pins:read",
  "pins:write",
  "pins:delete",
  "pins:admin",
  "ops:read",
  "ops:write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["admin", "operator", "machine", "readonly"] as const;
export type Role = (typeof ROLES)[number];

/**
 * admin: everything. operator: reviews and operates (no pin delete/admin; ops:write is the
 * console's replay/resolve/reset/run-task). machine: the agent
 * platform (ingest, outcome reports, reads, pins read/write). readonly: reads.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: ["ingest:write", "recovery:read", "recovery:write", "recovery:approve", "pins:read", "pins:write", "ops:read", "ops:write"],
  machine: ["ingest:write", "recovery:read", "recovery:write", "pins:read", "pins:write", "ops:read"],
  readonly: ["recovery:read", "pins:read", "ops:read"],
};

/** Permissions whose allowed uses are audited too (system.rbac_audit), not only their denials. */
export const AUDITED_PERMISSIONS: readonly Permission[] = ["recovery:write", "recovery:approve", "pins:delete", "pins:admin", "ops:write"];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export function rolesGrant(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

export class UnknownPermissionError extends Error {
  constructor(readonly values: string[]) {
    super(`unknown permission(s): ${values.join(", ")} (known: ${PERMISSIONS.join(", ")})`);
    this.name = "UnknownPermissionError";
  }
}

/** "ingest:write, recovery:read" → the permissions; throws on an unknown name. */
export function parsePermissionList(text: string): Permission[] {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unknown = names.filter((name) => !isPermission(name));
  if (unknown.length > 0) throw new UnknownPermissionError(unknown);
  return names as Permission[];
}
