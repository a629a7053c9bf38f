import type { ErrorCode } from './error-code';

export interface ErrorDetail {
  /** JSON pointer or parameter name the detail is about. */
  readonly path: string;
  readonly message: string;
}

/**
 * The one exception type domain and application code throws. Transports turn
 * it into their own error shape (problem+json, gRPC status) by `code`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
