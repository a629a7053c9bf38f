import type { SignatureCheck } from '@m2m-trust/shared-crypto';
import type { Message } from '@m2m-trust/shared-domain';

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
  }
>;

export type VerifyChallenge = Message<
  'VerifyChallenge',
  {
    readonly now: string;
    readonly device: DeviceStanding;
    /**
     * Checks the signature over the challenge's nonce. Deterministic, and only
     * called when every cheaper rule has passed.
     */
    readonly checkSignature: (nonce: string) => SignatureCheck;
  }
>;

export type ChallengeCommand = IssueChallenge | VerifyChallenge;
