/** The timings of the signing ring, all in seconds (docs/tokens.md, "Key ring and rotation"). */
export interface TokenKeySchedule {
  /** How long one key is the signing key. */
  readonly rotationSeconds: number;
  /** How long a new key is published before it signs. */
  readonly publishAheadSeconds: number;
  /** Cache-Control max-age of the JWKS: a third of the publish-ahead, so a resource server's cached set holds a key before it signs. */
  readonly jwksMaxAgeSeconds: number;
  /** How often an instance rereads the ring from the database: at most a third of the publish-ahead, for the same reason. */
  readonly reloadSeconds: number;
  /** Access-token lifetime: a retired key stays published this long, so every token it signed verifies until it expires. */
  readonly ttlSeconds: number;
  /** Extra time a retired key stays published, for clocks of instances that disagree a little. */
  readonly graceSeconds: number;
}

const MAX_PUBLISH_AHEAD_SECONDS = 900;
const MAX_RELOAD_SECONDS = 60;
const GRACE_SECONDS = 60;

/** The configured lifetimes it derives from (M2M_TOKEN_TTL_SECONDS, M2M_TOKEN_KEY_ROTATION_SECONDS). */
export interface TokenLifetimes {
  readonly ttlSeconds: number;
  readonly keyRotationSeconds: number;
}

export function tokenKeySchedule(config: TokenLifetimes): TokenKeySchedule {
  // Half the rotation at most, so a key signs for at least half its period before the next is announced.
  const publishAheadSeconds = Math.min(MAX_PUBLISH_AHEAD_SECONDS, Math.floor(config.keyRotationSeconds / 2));
  const third = Math.max(1, Math.floor(publishAheadSeconds / 3));
  return {
    rotationSeconds: config.keyRotationSeconds,
    publishAheadSeconds,
    jwksMaxAgeSeconds: third,
    reloadSeconds: Math.min(MAX_RELOAD_SECONDS, third),
    ttlSeconds: config.ttlSeconds,
    graceSeconds: GRACE_SECONDS,
  };
}

/** What the schedule needs of a stored key. */
export interface ScheduledKey {
  readonly generation: number;
  readonly activatesAt: Date;
}

export interface RingPlan {
  /** The key to create now (another instance may create it first; the generation decides). */
  readonly next: { readonly generation: number; readonly activatesAt: Date } | null;
  /** Keys of a lower generation have retired and every token they signed has expired: drop them. */
  readonly keepFrom: number;
}

const plus = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);

/** A key retires when its successor activates; null while it has none. */
export function retiresAt<K extends ScheduledKey>(keys: readonly K[], index: number): Date | null {
  return keys[index + 1]?.activatesAt ?? null;
}

/** Until when a key is published: its retirement plus the longest life of a token it signed, plus the grace. */
export function publishedUntil<K extends ScheduledKey>(keys: readonly K[], index: number, schedule: TokenKeySchedule): Date | null {
  const retired = retiresAt(keys, index);
  return retired === null ? null : plus(retired, schedule.ttlSeconds + schedule.graceSeconds);
}

/**
 * What to do with the ring at `now`, given its keys in generation order. The
 * first key signs at once (nobody can have cached a key set yet); each later
 * one is created `publishAheadSeconds` before it activates, at the end of its
 * predecessor's period, or that long from now if the service was down then
 * (the old key keeps signing meanwhile: no gap).
 */
export function planRing(keys: readonly ScheduledKey[], now: Date, schedule: TokenKeySchedule): RingPlan {
  const latest = keys[keys.length - 1];
  let next: RingPlan['next'] = null;
  if (!latest) {
    next = { generation: 1, activatesAt: now };
  } else {
    const due = plus(latest.activatesAt, schedule.rotationSeconds - schedule.publishAheadSeconds);
    if (now >= due) {
      const onTime = plus(latest.activatesAt, schedule.rotationSeconds);
      const earliest = plus(now, schedule.publishAheadSeconds);
      next = { generation: latest.generation + 1, activatesAt: onTime >= earliest ? onTime : earliest };
    }
  }
  let kept = 0;
  while (kept < keys.length - 1 && (publishedUntil(keys, kept, schedule) as Date) <= now) kept++;
  return { next, keepFrom: keys[kept]?.generation ?? 1 };
}

/** The key that signs at `now`: the newest one active; before any is (a clock behind the creator's), the oldest. */
export function signingKeyIndex(keys: readonly ScheduledKey[], now: Date): number {
  for (let index = keys.length - 1; index >= 0; index--) if ((keys[index] as ScheduledKey).activatesAt <= now) return index;
  return 0;
}
