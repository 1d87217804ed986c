// Tokens, roles and permissions: the one RBAC every HTTP service (ingest, console) enforces.
export {
  AUDITED_PERMISSIONS,
  parsePermissionList,
  type Permission,
  type Role,
  ROLE_PERMISSIONS,
  ROLES,
  rolesGrant,
  UnknownPermissionError,
} from "./permissions.js";
export {
  DEFAULT_TENANT,
  loadTokenStore,
  mayActFor,
  type Principal,
  readTokenFile,
  type TenantScope,
  TokenFileError,
  type TokenSources,
  TokenStore,
} from "./token-store.js";
