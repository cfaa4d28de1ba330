/**
 * Core: the error class and codes, ids, clock, logger and the ToolSource contract.
 * Imports nothing internal; every other layer may import it.
 */
export { ERROR_CODES } from './error-codes.js';
export type { ErrorCode } from './error-codes.js';
export { ToolportError, createError, validationError, isToolportError } from './errors.js';
export type { ValidationIssue, ErrorDetails } from './errors.js';
export { SLUG_PATTERN, isSlug, createId, createUuid, createToken, sha256 } from './ids.js';
export { systemClock, isoTime } from './clock.js';
export type { Clock } from './clock.js';
export { silentLogger, createJsonLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export {
  isSafeToProbe,
  isUnavailable,
  markUnavailable,
  NO_SAFE_TOOL,
  textResult,
  unavailableResult,
} from './tool-source.js';
export { classifyAddress, isIpLiteral, isPublicAddress } from './address-policy.js';
export type { AddressClass } from './address-policy.js';
export { createGuardedLookup } from './guarded-lookup.js';
export { ensurePrivateDir, ensurePrivateFile } from './private-files.js';
export {
  compileLinearRegExp,
  linearRegExpEngine,
  linearRegExpProblem,
  withoutUnsupportedPatterns,
  MAX_PATTERN_LENGTH,
} from './linear-regexp.js';
export type { LinearRegExp } from './linear-regexp.js';
export { createLinearAjv, createLinearSchemaValidator } from './linear-schema-validator.js';
export type { LinearSchemaValidator } from './linear-schema-validator.js';
export type {
  JsonSchema,
  ToolAnnotations,
  ToolDefinition,
  ContentBlock,
  ToolCallResult,
  ToolProgress,
  InvokeContext,
  CheckResult,
  SourceInfo,
  ToolSource,
} from './tool-source.js';
export { PeerError } from './upstream-peer.js';
export type {
  ClientRequestMethod,
  PeerCaller,
  PeerDescription,
  PeerNotification,
  PeerRequestOptions,
  UpstreamPeer,
} from './upstream-peer.js';
export type { Scope, Principal, Authenticate, Trust } from './principal.js';
export type { ConnectorAddress } from './connector-address.js';
export { trustOf } from './principal.js';
export { isRecord } from './guards.js';
export { AEAD_IV_BYTES, AEAD_TAG_BYTES, seal, unseal, type SealedParts } from './aead.js';
export {
  MAX_JSON_DEPTH,
  MAX_RESULT_DEPTH,
  nestsDeeperThan,
  screenedJsonParser,
  valueNestsDeeperThan,
  type ParseDone,
} from './json-depth.js';
export { RotatingEngine } from './rotating-engine.js';
export { answerWorkerJobs, compiledWorkerUrl, createWorkerJobRunner } from './worker-jobs.js';
export type { WorkerAnswer, WorkerJobEvent, WorkerJobOptions, WorkerJobRunner } from './worker-jobs.js';
