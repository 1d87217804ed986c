// @m10/ingest as a library: the app factory (bench and tests use it) and its building blocks.
export { buildApp, API_VERSION, type AppDeps } from "./app.js";
export { loadTokenStore, TokenStore, type Principal } from "./auth/token-store.js";
export { ROLE_PERMISSIONS, PERMISSIONS, ROLES, type Permission, type Role } from "./auth/permissions.js";
