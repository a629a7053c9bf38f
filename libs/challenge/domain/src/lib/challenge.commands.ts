import type { SignatureCheck } from '@m2m-trust/shared-crypto';
import type { Message } from '@m2m-trust/shared-domain';

import type { LockoutStanding } from './lockout';

/** What the credentials side knows of the device when a command runs. */
export type DeviceStanding =
  | { readonly status: 'unknown' }
  | { readonly status: 'active' | 'revoked'; readonly keyThumbprint: string };

export type IssueChallenge = Message<
  'IssueChallenge',
  {
    readonly challengeId: string;
    readonly deviceId: string;
    readonly audience: string;
    readonly random: string;
    readonly now: string;
    readonly ttlSeconds: number;
    readonly device: DeviceStanding;
    /** A locked device gets a decoy: a challenge that never verifies. */
    readonly lockout: LockoutStanding;
  }
>;

export type VerifyChallenge = Message<
  'VerifyChallenge',
  {
    readonly now: string;
    readonly device: DeviceStanding;
    readonly lockout: LockoutStanding;
    /** The `jti` of the access token a success will issue: recorded in DeviceAuthenticated. */
    readonly tokenId: string;
    /**
     * Checks the signature over the challenge's nonce with the device's registered key (revoked or not), or with a
     * key no one holds when the device is unknown. Deterministic, and only called when every cheaper rule has passed.
     */
    readonly checkSignature: (nonce: string) => SignatureCheck;
  }
>;

export type ChallengeCommand = IssueChallenge | VerifyChallenge;
