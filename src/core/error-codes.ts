/**
 * Every error code Toolport produces, with the HTTP status it maps to at the REST edge
 * and one sentence on when it is used. Codes are stable strings: clients may branch on them.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, doc: 'The request or a descriptor failed validation; details list each problem.' },
  bad_request: { status: 400, doc: 'The request is malformed in a way that is not a schema violation.' },
  unauthorized: { status: 401, doc: 'No bearer token, or the token is unknown or revoked.' },
  forbidden: { status: 403, doc: 'The token is valid but lacks the scope this action needs.' },
  not_found: { status: 404, doc: "No such object in the caller's tenant (other tenants' objects are never revealed)." },
  method_not_allowed: { status: 405, doc: 'The route exists but not for this HTTP method.' },
  conflict: { status: 409, doc: 'The object exists already, or the change conflicts with its current state.' },
  secrets_required: { status: 409, doc: 'Stored secrets would go to a new origin; re-send them or set reuse_secrets.' },
  payload_too_large: { status: 413, doc: 'The request body exceeds the configured limit.' },
  unsupported_media_type: { status: 415, doc: 'The request body is not of a content type the route accepts.' },
  unprocessable: { status: 422, doc: 'Well formed but cannot be applied (e.g. a script with no usable function).' },
  limit_exceeded: { status: 422, doc: 'A configured limit (e.g. connectors per project) would be exceeded.' },
  rate_limited: { status: 429, doc: 'Too many requests or too many queued calls.' },
  tool_not_found: { status: 404, doc: 'No enabled tool with that name in the project.' },
  tool_failed: { status: 502, doc: 'The tool ran and failed (upstream error, exception in a script).' },
  tool_timeout: { status: 504, doc: 'The tool did not finish within its timeout.' },
  upstream_unavailable: { status: 503, doc: 'The tool source cannot be reached, or its circuit breaker is open.' },
  target_refused: { status: 403, doc: 'An HTTP connector tried a loopback/private address while those are refused.' },
  config_invalid: { status: 500, doc: 'The server configuration is invalid (at start, never for client input).' },
  store_failed: { status: 500, doc: 'The store failed to read or write.' },
  internal: { status: 500, doc: 'An unexpected failure inside Toolport.' },
} as const satisfies Record<string, { status: number; doc: string }>;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_CODES;
