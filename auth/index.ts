/**
 * Upstream authentication: turns a backend's resolved BackendSecurityPolicy into the headers (and,
 * for Vertex AI, the path and host) of a correctly authenticated provider request.
 */
export { createBackendAuth } from "./create-backend-auth";
export { BackendAuthRegistry } from "./registry";
export type { BackendAuthRegistryOptions, RotationOutcome, RotationResult } from "./registry";
export { parseBackendAuthConfig, redact, REDACTED } from "./config";
export { BackendAuthConfigSchema } from "../contract/credentials";
export type { BackendAuthConfig, BackendAuthConfigInput } from "../contract/credentials";
export { AuthError } from "./errors";
export type { AuthErrorCode } from "./errors";
export type { AuthRequest, AuthResult, BackendAuth, BackendAuthOptions } from "./types";
export { systemClock } from "./clock";
export type { Clock } from "./clock";
