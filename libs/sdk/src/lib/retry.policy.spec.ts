import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, retryPolicyOf } from './retry.policy';

describe('retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP-date', () => {
    const now = Date.parse('2026-11-21T08:00:00.000Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 21 Nov 2026 08:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 07:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('waits at least what Retry-After asks, with jitter below one base delay', () => {
    const policy = retryPolicyOf({ baseDelayMs: 100 });
    expect(backoffDelay(policy, 0, 2000, () => 0)).toBe(2000);
    expect(backoffDelay(policy, 5, 2000, () => 0.999)).toBe(2099);
  });

  it('backs off exponentially with full jitter, up to the ceiling', () => {
    const policy = retryPolicyOf({ baseDelayMs: 100, maxDelayMs: 1000 });
    const highest = (retry: number) => backoffDelay(policy, retry, undefined, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10].map(highest)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(policy, 3, undefined, () => 0)).toBe(0);
  });

  it('turns retries off with false and refuses nonsense', () => {
    expect(retryPolicyOf(false).maxRetries).toBe(0);
    expect(retryPolicyOf(undefined)).toEqual(DEFAULT_RETRY_POLICY);
    expect(() => retryPolicyOf({ maxRetries: -1 })).toThrow(RangeError);
    expect(() => retryPolicyOf({ baseDelayMs: Number.NaN })).toThrow(RangeError);
  });
});
