/** How the SDK retries requests the service refused for now (429, 503) or that never got an answer. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 disables retries). */
  readonly maxRetries?: number;
  /** The first backoff ceiling; it doubles per retry (default 200 ms). */
  readonly baseDelayMs?: number;
  /** The largest backoff ceiling (default 5 000 ms). */
  readonly maxDelayMs?: number;
  /**
   * The longest `Retry-After` the SDK waits for (default 60 000 ms). A service
   * that asks for longer gets the error back at once, with `retryAfterMs` set.
   */
  readonly maxRetryAfterMs?: number;
}

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 60_000 };

export function retryPolicyOf(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { ...DEFAULT_RETRY_POLICY, maxRetries: 0 };
  const policy = { ...DEFAULT_RETRY_POLICY, ...options };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`retry.${name} must be a non-negative number`);
  }
  return policy;
}

/**
 * How a call may be retried, decided per operation, because repeating a
 * request is only safe when the service cannot have acted on the first one.
 *
 * - `never`: `verify`. The first attempt consumes the challenge whatever its
 *   outcome, so a retry could only ever answer CHALLENGE_ALREADY_USED.
 * - `refused`: writes. Retried only on 429/503, which the service answers
 *   before doing anything, and when no connection was made (refused, unknown
 *   host); after a lost answer the write may have happened.
 * - `idempotent`: reads (and revoke, which is idempotent). Also retried when
 *   no answer arrived (network error, timeout).
 */
export type RetryMode = 'never' | 'refused' | 'idempotent';

/** Statuses that mean "not now, nothing was done". */
export const isRetryableStatus = (status: number): boolean => status === 429 || status === 503;

/**
 * `Retry-After` (RFC 9110 §10.2.3) in milliseconds from `now`: delta-seconds
 * or an HTTP-date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates are always in GMT; anything else (`-1`, `soon`) is not one, however lenient Date.parse is.
  const date = /GMT$/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (0-based): the service's `Retry-After`
 * when it sent one, plus a little jitter so a fleet told the same instant does
 * not return all at once; otherwise exponential backoff with full jitter.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(random() * policy.baseDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}
