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
} as const;
export type VerifyFailureReason = (typeof VerifyFailureReason)[keyof typeof VerifyFailureReason];

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
    readonly challengeId: string;
    readonly deviceId: string;
    readonly keyThumbprint: string;
    readonly method: 'challenge-response';
    readonly verifiedAt: string;
  }
>;

export type DeviceAuthenticationFailed = Message<
  'DeviceAuthenticationFailed',
  {
    readonly challengeId: string;
    readonly deviceId: string;
    readonly keyThumbprint: string | null;
    readonly method: 'challenge-response';
    readonly reason: Exclude<VerifyFailureReason, 'CHALLENGE_NOT_FOUND'>;
    readonly failedAt: string;
  }
>;

export type ChallengeEvent = ChallengeIssued | DeviceAuthenticated | DeviceAuthenticationFailed;
