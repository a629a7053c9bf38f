import type { ErrorCode } from './error-code';

export interface ErrorDetail {
  /** JSON pointer or parameter name the detail is about. */
  readonly path: string;
  readonly message: string;
}

/**
 * When a refused request may be tried again: Retry-After over HTTP (and the
 * RateLimit-* headers when a rate limit refused it), trailers over gRPC.
 */
export interface RetryInfo {
  readonly afterSeconds: number;
  /** The limit that refused the request, in requests per window. */
  readonly limit?: number;
  readonly remaining?: number;
  /** The window, in seconds (RateLimit-Policy `w`). */
  readonly windowSeconds?: number;
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
    readonly retry: RetryInfo | null = null,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
