import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, isToolportError, type ErrorCode, type ErrorDetails, type Logger } from '../../core/index.js';
import { toValidationIssues } from './validation.js';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetails };
}

/** Codes for framework errors that carry only an HTTP status. */
const BY_STATUS: Record<number, { code: ErrorCode; message: string }> = {
  400: { code: 'bad_request', message: 'The request is malformed.' },
  401: { code: 'unauthorized', message: 'Authentication is required.' },
  403: { code: 'forbidden', message: 'This action is not allowed.' },
  404: { code: 'not_found', message: 'Not found.' },
  405: { code: 'method_not_allowed', message: 'Method not allowed.' },
  409: { code: 'conflict', message: 'Conflict.' },
  413: { code: 'payload_too_large', message: 'The request body is too large.' },
  415: { code: 'unsupported_media_type', message: 'Unsupported content type; send application/json.' },
  429: { code: 'rate_limited', message: 'Too many requests.' },
};

/** Fastify's own error codes with the message we give instead (theirs can echo input). */
const FRAMEWORK: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'bad_request', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'bad_request', message: 'The request body is empty but declared as JSON.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'Unsupported content type; send application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    message: 'The Content-Length header does not match the body.',
  },
};

/** Translates any thrown value into a status and an allow-listed error body; logs what the caller must not see. */
export function translateError(
  err: unknown,
  request: FastifyRequest,
  logger: Logger,
  bodyLimit: number,
): { status: number; body: ErrorBody } {
  if (isToolportError(err)) {
    if (err.status >= 500) logger.error({ req_id: request.id, code: err.code, err: describe(err) }, 'request failed');
    return { status: err.status, body: { error: err.toJSON() } };
  }
  const fe = err as Partial<FastifyError> & { validation?: ErrorObject[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const issues = toValidationIssues(fe.validation, fe.validationContext);
    const first = issues[0]?.message ?? 'invalid request';
    const e = createError('validation_failed', issues.length > 1 ? `${first} (and ${issues.length - 1} more)` : first, {
      issues,
    });
    return { status: 400, body: { error: e.toJSON() } };
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
    const e = createError('payload_too_large', `The request body exceeds the limit of ${bodyLimit} bytes.`, {
      limit_bytes: bodyLimit,
    });
    return { status: 413, body: { error: e.toJSON() } };
  }
  const known =
    (fe.code && FRAMEWORK[fe.code]) ||
    (err instanceof SyntaxError ? FRAMEWORK.FST_ERR_CTP_INVALID_JSON_BODY : undefined);
  if (known) {
    const status = known.code === 'unsupported_media_type' ? 415 : 400;
    return { status, body: { error: createError(known.code, known.message).toJSON() } };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  const mapped = BY_STATUS[status];
  if (status >= 400 && status < 500 && mapped) {
    return { status, body: { error: createError(mapped.code, mapped.message).toJSON() } };
  }
  logger.error({ req_id: request.id, err: describe(err) }, 'unexpected error');
  const e = createError('internal', 'An unexpected error occurred.', { request_id: request.id });
  return { status: 500, body: { error: e.toJSON() } };
}

/** The cause of an unexpected failure for the log: name, message, stack; never request data. */
function describe(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? { name: err.cause.name, message: err.cause.message } : undefined;
    return { name: err.name, message: err.message, stack: err.stack, cause };
  }
  return { value: String(err) };
}

/** Installs the one error handler and the 404 handler of the app. */
export function installErrorHandling(app: FastifyInstance, logger: Logger, bodyLimit: number): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = translateError(err, request, logger, bodyLimit);
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const e = createError(
      'not_found',
      `No route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}.`,
    );
    return reply.status(404).type('application/json; charset=utf-8').send({ error: e.toJSON() });
  });
}
