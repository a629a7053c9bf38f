import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Registry } from 'prom-client';

import { RateLimits } from './rate-limits';

const limits = (devicePerMinute: number, addressPerMinute = 0, apiKeyPerMinute = 0) => ({ devicePerMinute, addressPerMinute, apiKeyPerMinute });

/** The error a consume rejected with, or a failure when it resolved. */
async function refusalOf(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

describe('RateLimits (memory store)', () => {
  // rate-limiter-flexible's memory store keeps time with Date.now() and setTimeout: fake timers move its window.
  beforeEach(() => jest.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('admits the limit within a window, then refuses with RATE_LIMITED and when to retry', async () => {
    const rateLimits = new RateLimits({ limits: limits(3), store: { kind: 'memory' } });
    for (let i = 0; i < 3; i++) await rateLimits.consume('device', 'sensor-1');

    jest.advanceTimersByTime(20_000);
    const refusal = await refusalOf(rateLimits.consume('device', 'sensor-1'));
    expect(refusal.code).toBe(ErrorCode.RateLimited);
    expect(refusal.retry).toEqual({ afterSeconds: 40, limit: 3, remaining: 0, windowSeconds: 60 });
    expect(refusal.message).toMatch(/for this device: at most 3 per 60 s; retry in 40 s/);
  });

  it('gives the whole budget back once the window ends', async () => {
    const rateLimits = new RateLimits({ limits: limits(2), store: { kind: 'memory' } });
    await rateLimits.consume('device', 'sensor-1');
    await rateLimits.consume('device', 'sensor-1');
    await expect(rateLimits.consume('device', 'sensor-1')).rejects.toThrow(DomainError);

    jest.advanceTimersByTime(60_001);
    await rateLimits.consume('device', 'sensor-1');
    await rateLimits.consume('device', 'sensor-1');
    await expect(rateLimits.consume('device', 'sensor-1')).rejects.toThrow(DomainError);
  });

  it('counts each key on its own, and each kind on its own even for the same key', async () => {
    const rateLimits = new RateLimits({ limits: limits(1, 1, 1), store: { kind: 'memory' } });
    await rateLimits.consume('device', 'same');
    await rateLimits.consume('device', 'other');
    await rateLimits.consume('address', 'same');
    await rateLimits.consume('apiKey', 'same');
    await expect(rateLimits.consume('device', 'same')).rejects.toThrow(DomainError);
    await expect(rateLimits.consume('address', 'same')).rejects.toThrow(DomainError);
    await expect(rateLimits.consume('apiKey', 'same')).rejects.toThrow(DomainError);
  });

  it('does nothing for a kind whose limit is 0', async () => {
    const rateLimits = new RateLimits({ limits: limits(0, 1), store: { kind: 'memory' } });
    expect(rateLimits.enabled('device')).toBe(false);
    expect(rateLimits.enabled('address')).toBe(true);
    for (let i = 0; i < 1_000; i++) await rateLimits.consume('device', 'sensor-1');
    expect(await rateLimits.take('device', 'sensor-1')).toBeNull();
  });

  it('tells what is left of the budget as it is spent', async () => {
    const rateLimits = new RateLimits({ limits: limits(0, 3), store: { kind: 'memory' } });
    expect(await rateLimits.take('address', '203.0.113.7')).toEqual({ limit: 3, remaining: 2, resetSeconds: 60, windowSeconds: 60 });
    jest.advanceTimersByTime(15_500);
    expect(await rateLimits.take('address', '203.0.113.7')).toEqual({ limit: 3, remaining: 1, resetSeconds: 45, windowSeconds: 60 });
    expect(await rateLimits.take('address', '203.0.113.7')).toMatchObject({ remaining: 0 });
    await expect(rateLimits.take('address', '203.0.113.7')).rejects.toThrow(DomainError);
  });

  it('names the kind in the refusal and follows a shorter window', async () => {
    const rateLimits = new RateLimits({ limits: limits(0, 0, 1), store: { kind: 'memory' }, windowSeconds: 1 });
    await rateLimits.consume('apiKey', 'api-key:admin');
    const refusal = await refusalOf(rateLimits.consume('apiKey', 'api-key:admin'));
    expect(refusal.message).toMatch(/with this API key: at most 1 per 1 s/);
    expect(refusal.retry).toEqual({ afterSeconds: 1, limit: 1, remaining: 0, windowSeconds: 1 });
    jest.advanceTimersByTime(1_001);
    await rateLimits.consume('apiKey', 'api-key:admin');
  });

  it('counts refusals by kind in the process metrics', async () => {
    const registry = new Registry();
    const rateLimits = new RateLimits({ limits: limits(1, 1), store: { kind: 'memory' }, registry });
    await rateLimits.consume('address', '203.0.113.7');
    await expect(rateLimits.consume('address', '203.0.113.7')).rejects.toThrow(DomainError);
    await expect(rateLimits.consume('address', '203.0.113.7')).rejects.toThrow(DomainError);
    const metrics = await registry.getMetricsAsJSON();
    const refused = metrics.find((metric) => metric.name === 'm2m_rate_limited_total');
    expect(refused?.values).toEqual([expect.objectContaining({ labels: { kind: 'address' }, value: 2 })]);
  });
});
