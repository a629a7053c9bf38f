import { type ApiErrorCode } from './m2m.types';

/**
 * Codes the SDK raises itself, beside the service's problem+json codes:
 * nothing reached the service, or what came back was not the API.
 */
export type ClientErrorCode = 'TIMEOUT' | 'NETWORK_ERROR' | 'ABORTED' | 'INVALID_RESPONSE' | 'CHALLENGE_REFUSED';

// `(string & {})` keeps editor completion for the known codes while staying
// open to codes a newer service adds.
export type M2MErrorCode = ApiErrorCode | ClientErrorCode | (string & {});

/** A brand that survives two copies of the SDK (its ESM and CJS builds) in one process, where instanceof does not. */
const BRAND = Symbol.for('@m2m-trust/sdk.M2MError');

export interface M2MErrorInit {
  readonly code: M2MErrorCode;
  readonly message: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly detail?: string;
  readonly cause?: unknown;
}

/** Every error the SDK throws. */
export class M2MError extends Error {
  readonly code: M2MErrorCode;
  /** HTTP status of the answer; undefined when there was none. */
  readonly status: number | undefined;
  /** The service's request id (problem+json `requestId` or `X-Request-Id`): quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** RFC 9457 `detail`: what went wrong with this request, for a human. */
  readonly detail: string | undefined;

  constructor(init: M2MErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.detail = init.detail;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

export function isM2MError(value: unknown): value is M2MError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** One entry of the problem's `errors` list (which field, what is wrong with it). */
export interface ProblemFieldError {
  readonly path: string;
  readonly message: string;
}

export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly code?: string;
  readonly requestId?: string;
  readonly errors?: readonly ProblemFieldError[];
}

export interface ApiErrorInit {
  readonly status: number;
  readonly problem: ProblemDetails | null;
  readonly requestId: string | undefined;
  /** From `Retry-After`, when the service sent one. */
  readonly retryAfterMs: number | undefined;
}

/** The service answered with an error status (problem+json, RFC 9457). */
export class M2MApiError extends M2MError {
  override readonly status: number;
  /** RFC 9457 `type`, e.g. `urn:m2m-trust:problem:device-not-found`. */
  readonly type: string | undefined;
  readonly title: string | undefined;
  readonly instance: string | undefined;
  readonly errors: readonly ProblemFieldError[];
  readonly retryAfterMs: number | undefined;

  constructor(init: ApiErrorInit) {
    const problem = init.problem;
    const code = problem?.code ?? `HTTP_${init.status}`;
    const requestId = problem?.requestId ?? init.requestId;
    const summary = problem?.detail ?? problem?.title ?? `HTTP ${init.status}`;
    super({ code, status: init.status, message: `${code} (${init.status}): ${summary}`, requestId, detail: problem?.detail });
    this.status = init.status;
    this.type = problem?.type;
    this.title = problem?.title;
    this.instance = problem?.instance;
    this.errors = problem?.errors ?? [];
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 400: the request is malformed (`VALIDATION_FAILED`, `INVALID_PUBLIC_KEY`, `QUERY_PARAMETER_INVALID`). */
export class M2MValidationError extends M2MApiError {}
/** 401 `UNAUTHORIZED`: missing or wrong API key. */
export class M2MUnauthorizedError extends M2MApiError {}
/** 404: `DEVICE_NOT_FOUND` or `ROUTE_NOT_FOUND`. */
export class M2MNotFoundError extends M2MApiError {}
/** 409: `DEVICE_EXISTS`, `DUPLICATE_PUBLIC_KEY`, `DEVICE_REVOKED`, `CONCURRENCY_CONFLICT`. */
export class M2MConflictError extends M2MApiError {}
/** 429: rate limited (retried automatically where that is safe). */
export class M2MRateLimitError extends M2MApiError {}
/** 503: the service is not ready (retried automatically where that is safe). */
export class M2MServiceUnavailableError extends M2MApiError {}

/** The one place an HTTP status becomes an error class. */
export function apiErrorFor(init: ApiErrorInit): M2MApiError {
  switch (init.status) {
    case 400:
      return new M2MValidationError(init);
    case 401:
      return new M2MUnauthorizedError(init);
    case 404:
      return new M2MNotFoundError(init);
    case 409:
      return new M2MConflictError(init);
    case 429:
      return new M2MRateLimitError(init);
    case 503:
      return new M2MServiceUnavailableError(init);
    default:
      return new M2MApiError(init);
  }
}

/** No answer within the configured timeout. For `verify`, the challenge may still have been consumed. */
export class M2MTimeoutError extends M2MError {
  constructor(readonly timeoutMs: number, url: string) {
    super({ code: 'TIMEOUT', message: `No answer from ${url} within ${timeoutMs} ms` });
  }
}

/** The request never got an HTTP answer: DNS, refused connection, reset, TLS. */
export class M2MNetworkError extends M2MError {
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
    super({ code: 'NETWORK_ERROR', message: `Cannot reach ${url}: ${reason}`, cause });
  }
}

/** The caller's AbortSignal fired. */
export class M2MAbortError extends M2MError {
  constructor(cause: unknown) {
    super({ code: 'ABORTED', message: 'The request was aborted', cause });
  }
}

/** The service answered something that is not this API (a proxy's page, a truncated body, a shape we do not know). */
export class M2MInvalidResponseError extends M2MError {
  constructor(message: string, init: { status?: number; requestId?: string } = {}) {
    super({ code: 'INVALID_RESPONSE', message, ...init });
  }
}

/** Why a device refuses to sign a challenge (docs/protocol.md, "What a careful device checks"). */
export type ChallengeRefusal = 'MALFORMED' | 'UNSUPPORTED_ALGORITHM' | 'WRONG_DEVICE' | 'WRONG_AUDIENCE' | 'WRONG_CHALLENGE' | 'EXPIRED';

/** The device-side checks refused to sign: nothing was signed or sent. */
export class ChallengeRefusedError extends M2MError {
  constructor(
    readonly reason: ChallengeRefusal,
    message: string,
  ) {
    super({ code: 'CHALLENGE_REFUSED', message: `Refusing to sign the challenge (${reason}): ${message}` });
  }
}
