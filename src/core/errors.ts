import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** One problem found while validating input: where it is and what is wrong. */
export interface ValidationIssue {
  /** JSON pointer into the validated document, e.g. `/tools/0/name`. */
  pointer: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Typed details per code; codes not listed carry free-form details. */
export interface ErrorDetails {
  issues?: ValidationIssue[];
  [key: string]: unknown;
}

/**
 * The one error class of Toolport. `code` is stable; `message` is safe to show to the caller
 * (it never embeds secrets or raw arguments); `details` is an allow-listed object.
 */
export class ToolportError extends Error {
  override readonly name = 'ToolportError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** The HTTP status this error maps to at the REST edge. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The serialised shape `{code, message, details}` used by every edge. */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Creates a ToolportError; shorthand used across layers. */
export function createError(code: ErrorCode, message: string, details?: ErrorDetails, cause?: unknown): ToolportError {
  return new ToolportError(code, message, details, cause === undefined ? undefined : { cause });
}

/** A validation error listing every issue found. */
export function validationError(message: string, issues: ValidationIssue[]): ToolportError {
  return new ToolportError('validation_failed', message, { issues });
}

/** True when `err` is a ToolportError (optionally of one code). */
export function isToolportError(err: unknown, code?: ErrorCode): err is ToolportError {
  return err instanceof ToolportError && (code === undefined || err.code === code);
}
