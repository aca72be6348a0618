/** A field-level problem reported with a 400, named by its JSON path. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

/** Base of the errors the API maps to HTTP answers in one place (see http/error-mapping.ts). */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'validation_failed';
}
export class BadRequestError extends ApiError {
  readonly status = 400;
  readonly code = 'bad_request';
}
export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor() {
    // Never say why: the answer must be the same whether or not the resource exists.
    super('missing or invalid credentials');
  }
}
/** Authenticated, but not allowed: the answer names who signed in and what they lack. */
export class ForbiddenError extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
}
export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
}
export class ConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
}
export class VersionMismatchError extends ApiError {
  readonly status = 412;
  readonly code = 'version_mismatch';
}
export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}
export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}
/** A dependency (DynamoDB, the Scheduler) failed; the message is safe to show, the cause is only logged. */
export class DependencyError extends ApiError {
  readonly status = 503;
  readonly code = 'unavailable';
}
/** What the request continues no longer exists as it was (an export cursor whose revision was replaced). */
export class GoneError extends ApiError {
  readonly status = 410;
  readonly code = 'gone';
}
