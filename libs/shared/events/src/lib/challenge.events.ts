import type { Message } from '@m2m-trust/shared-domain';

/**
 * Why a verify was refused. CHALLENGE_NOT_FOUND is only ever an answer: with
 * no challenge there is no device to attribute an event to.
 */
export const VerifyFailureReason = {
  SignatureInvalid: 'SIGNATURE_INVALID',
  SignatureNonCanonical: 'SIGNATURE_NON_CANONICAL',
  ChallengeExpired: 'CHALLENGE_EXPIRED',
  ChallengeAlreadyUsed: 'CHALLENGE_ALREADY_USED',
  ChallengeNotFound: 'CHALLENGE_NOT_FOUND',
  DeviceRevoked: 'DEVICE_REVOKED',
  DeviceLocked: 'DEVICE_LOCKED',
} as const;
export type VerifyFailureReason = (typeof VerifyFailureReason)[keyof typeof VerifyFailureReason];

/**
 * Why an OAuth client assertion (RFC 7523 private_key_jwt) was refused, beside
 * the verify reasons that apply to it too (signature, revoked, locked).
 */
export const AssertionFailureReason = {
  /** Claims other than the signature and time are wrong: iss/sub, aud, a missing jti. */
  AssertionInvalid: 'ASSERTION_INVALID',
  /** Expired, not yet valid, or valid for longer than the service accepts. */
  AssertionExpired: 'ASSERTION_EXPIRED',
  /** The jti was presented before. */
  AssertionReused: 'ASSERTION_REUSED',
} as const;
export type AssertionFailureReason = (typeof AssertionFailureReason)[keyof typeof AssertionFailureReason];

/** How a device proved who it is: the challenge-response protocol, or an OAuth client assertion. */
export type AuthenticationMethod = 'challenge-response' | 'private_key_jwt';

/**
 * Recorded, never answered: a challenge or client assertion named a device that is not registered. The caller is
 * told what a wrong signature is told (docs/abuse-limits.md, "What a stranger learns").
 */
export const UnknownDeviceReason = { DeviceNotFound: 'DEVICE_NOT_FOUND' } as const;
export type UnknownDeviceReason = (typeof UnknownDeviceReason)[keyof typeof UnknownDeviceReason];

/** Every reason an authentication failure records (CHALLENGE_NOT_FOUND has no device to attribute it to). */
export type AuthenticationFailureReason = Exclude<VerifyFailureReason, 'CHALLENGE_NOT_FOUND'> | AssertionFailureReason | UnknownDeviceReason;

export type ChallengeIssued = Message<
  'ChallengeIssued',
  {
    readonly challengeId: string;
    readonly deviceId: string;
    /** The exact string the device signs (UTF-8). Not a secret. */
    readonly nonce: string;
    readonly issuedAt: string;
    readonly expiresAt: string;
  }
>;

export type DeviceAuthenticated = Message<
  'DeviceAuthenticated',
  {
    /** The challenge answered; null for a client assertion. */
    readonly challengeId: string | null;
    readonly deviceId: string;
    readonly keyThumbprint: string;
    readonly method: AuthenticationMethod;
    readonly verifiedAt: string;
    /** The `jti` of the access token issued for this authentication. */
    readonly tokenId?: string;
    /** The `jti` of the client assertion (private_key_jwt). */
    readonly assertionId?: string;
    /** Set when the device had failures or locks on record, which this success clears (docs/abuse-limits.md). */
    readonly resetsLockout?: true;
  }
>;

export type DeviceAuthenticationFailed = Message<
  'DeviceAuthenticationFailed',
  {
    /** The challenge answered; null for a client assertion. */
    readonly challengeId: string | null;
    readonly deviceId: string;
    readonly keyThumbprint: string | null;
    readonly method: AuthenticationMethod;
    readonly reason: AuthenticationFailureReason;
    readonly failedAt: string;
    /** The `jti` of the refused client assertion (private_key_jwt), when it had one. */
    readonly assertionId?: string;
    /**
     * `challenge`: refused when the challenge was requested (an unknown, revoked or locked device). The challenge
     * was issued all the same, as a decoy that never verifies, so the requester cannot tell; absent: at verify.
     */
    readonly phase?: 'challenge';
  }
>;

/**
 * The device cannot authenticate until `lockedUntil` or until an operator lifts the lock. An operator's lock
 * (`POST /v1/devices/{id}/lock`) carries its `reason`. Before issue 17 a lock also came by itself, recorded with the
 * failure that reached a threshold and without a reason; those records still fold the same (docs/abuse-limits.md).
 */
export type DeviceLocked = Message<
  'DeviceLocked',
  {
    readonly deviceId: string;
    /** Consecutive failures on record when locked (of an automatic lock: the failures that led to it). */
    readonly failures: number;
    /** Locks since the last success or unlock, this one included. */
    readonly lockNumber: number;
    readonly lockedAt: string;
    /** The lock's end; null (operator locks only): until an operator unlocks the device. */
    readonly lockedUntil: string | null;
    /** Why the operator locked the device; absent on the automatic locks recorded before issue 17. */
    readonly reason?: string;
  }
>;

/** An operator lifted the lock (a lock that simply ends needs no event: its end is in DeviceLocked). */
export type DeviceUnlocked = Message<
  'DeviceUnlocked',
  {
    readonly deviceId: string;
    readonly reason: string | null;
    readonly unlockedAt: string;
  }
>;

export type ChallengeEvent = ChallengeIssued | DeviceAuthenticated | DeviceAuthenticationFailed | DeviceLocked | DeviceUnlocked;
