import { planRing, publishedUntil, retiresAt, type ScheduledKey, signingKeyIndex, tokenKeySchedule } from './token-key-schedule';

const T0 = new Date('2026-03-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const key = (generation: number, activatesAfterSeconds: number): ScheduledKey => ({ generation, activatesAt: at(activatesAfterSeconds) });

describe('tokenKeySchedule', () => {
  it('publishes a key 15 minutes before it signs by default, and lets the JWKS be cached for a third of that', () => {
    expect(tokenKeySchedule({ ttlSeconds: 300, keyRotationSeconds: 86_400 })).toEqual({
      rotationSeconds: 86_400,
      publishAheadSeconds: 900,
      jwksMaxAgeSeconds: 300,
      reloadSeconds: 60,
      ttlSeconds: 300,
      graceSeconds: 60,
    });
  });

  it('shrinks the publish-ahead to half a short rotation, keeping cache and reload times below it', () => {
    const schedule = tokenKeySchedule({ ttlSeconds: 300, keyRotationSeconds: 60 });
    expect(schedule.publishAheadSeconds).toBe(30);
    expect(schedule.jwksMaxAgeSeconds).toBe(10);
    expect(schedule.reloadSeconds).toBe(10);
  });
});

describe('planRing', () => {
  const schedule = tokenKeySchedule({ ttlSeconds: 300, keyRotationSeconds: 3_600 });

  it('creates the first key, signing at once, when the ring is empty', () => {
    expect(planRing([], T0, schedule)).toEqual({ next: { generation: 1, activatesAt: T0 }, keepFrom: 1 });
  });

  it('creates nothing while the signing key has more than the publish-ahead left', () => {
    expect(planRing([key(1, 0)], at(3_600 - 900 - 1), schedule).next).toBeNull();
  });

  it('creates the next key the publish-ahead before the current one ends, to activate at that end', () => {
    expect(planRing([key(1, 0)], at(3_600 - 900), schedule).next).toEqual({ generation: 2, activatesAt: at(3_600) });
    expect(planRing([key(1, 0)], at(3_000), schedule).next).toEqual({ generation: 2, activatesAt: at(3_900) });
  });

  it('after downtime past the end of a period, still publishes the next key a full publish-ahead before it signs', () => {
    expect(planRing([key(1, 0)], at(10_000), schedule).next).toEqual({ generation: 2, activatesAt: at(10_900) });
  });

  it('does not create a third key while the second waits to activate', () => {
    expect(planRing([key(1, 0), key(2, 3_600)], at(3_599), schedule).next).toBeNull();
  });

  it('keeps a retired key until every token it signed has expired (plus the grace), then drops it', () => {
    const keys = [key(1, 0), key(2, 3_600), key(3, 7_200)];
    // Key 1 retires at 3600; its last token expires at 3600 + 300; the grace adds 60.
    expect(planRing(keys, at(3_959), schedule).keepFrom).toBe(1);
    expect(planRing(keys, at(3_960), schedule).keepFrom).toBe(2);
    expect(planRing(keys, at(7_560), schedule).keepFrom).toBe(3);
  });

  it('never drops the newest key', () => {
    expect(planRing([key(1, 0)], at(1_000_000), schedule).keepFrom).toBe(1);
  });
});

describe('key times', () => {
  const schedule = tokenKeySchedule({ ttlSeconds: 300, keyRotationSeconds: 3_600 });
  const keys = [key(1, 0), key(2, 3_600)];

  it('retires a key when its successor activates, and unpublishes it a token lifetime and the grace later', () => {
    expect(retiresAt(keys, 0)).toEqual(at(3_600));
    expect(publishedUntil(keys, 0, schedule)).toEqual(at(3_960));
    expect(retiresAt(keys, 1)).toBeNull();
    expect(publishedUntil(keys, 1, schedule)).toBeNull();
  });

  it('signs with the newest active key; a published key waiting to activate does not sign', () => {
    expect(signingKeyIndex(keys, at(3_599))).toBe(0);
    expect(signingKeyIndex(keys, at(3_600))).toBe(1);
    // A clock behind the instance that created the only key: the oldest signs rather than none.
    expect(signingKeyIndex([key(1, 10)], at(0))).toBe(0);
  });
});
