import { signAsync } from '@noble/ed25519';

import { type ChallengeNonceFields, parseChallengeNonce } from './challenge-nonce';
import { decodePrivateKey, type PrivateKeyInput } from './device-keys';
import { bytesToHex } from './encoding';
import { ChallengeRefusedError } from './m2m.error';
import { type Challenge } from './m2m.types';

/** What the device knows independently of the service, and checks the challenge against. */
export interface ChallengeExpectation {
  /** This device's own id. */
  readonly deviceId: string;
  /** The service this device means to authenticate to (its `M2M_AUDIENCE`), configured on the device. */
  readonly audience: string;
  /** The device's clock; defaults to `Date.now()`. */
  readonly now?: Date | number;
  /**
   * How far the device's clock may run ahead of the service's (default 10 000 ms).
   * A challenge is refused only once it has been expired for longer than this.
   */
  readonly clockToleranceMs?: number;
}

export const DEFAULT_CLOCK_TOLERANCE_MS = 10_000;

/**
 * The checks of docs/protocol.md, "What a careful device checks before
 * signing": the nonce is a v1 nonce, names this device and the expected
 * audience, belongs to this challenge and has not expired. They stop a
 * compromised or impersonated service from getting the device to sign a
 * challenge meant for another service or device. Returns the parsed fields;
 * throws `ChallengeRefusedError` otherwise.
 */
export function checkChallenge(challenge: Challenge, expected: ChallengeExpectation): ChallengeNonceFields {
  if (challenge.algorithm !== 'Ed25519') {
    throw new ChallengeRefusedError('UNSUPPORTED_ALGORITHM', `algorithm ${JSON.stringify(challenge.algorithm)} is not Ed25519`);
  }
  const fields = parseChallengeNonce(challenge.nonce);
  if (!fields) throw new ChallengeRefusedError('MALFORMED', 'the nonce is not an m2m-trust-challenge/v1 nonce');
  if (fields.deviceId !== expected.deviceId || challenge.deviceId !== expected.deviceId) {
    throw new ChallengeRefusedError('WRONG_DEVICE', `the challenge names device ${JSON.stringify(fields.deviceId)}, not ${JSON.stringify(expected.deviceId)}`);
  }
  if (fields.audience !== expected.audience) {
    throw new ChallengeRefusedError(
      'WRONG_AUDIENCE',
      `the challenge is for ${JSON.stringify(fields.audience)}, not ${JSON.stringify(expected.audience)} (set the audience to the service's M2M_AUDIENCE)`,
    );
  }
  if (fields.challengeId !== challenge.id || fields.expiresAt !== challenge.expiresAt) {
    throw new ChallengeRefusedError('WRONG_CHALLENGE', 'the nonce does not match the challenge id or expiry it came with');
  }
  const now = expected.now === undefined ? Date.now() : new Date(expected.now).getTime();
  const tolerance = expected.clockToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
  if (Date.parse(fields.expiresAt) + tolerance <= now) {
    throw new ChallengeRefusedError('EXPIRED', `the challenge expired at ${fields.expiresAt}`);
  }
  return fields;
}

/**
 * Checks the challenge (see `checkChallenge`), then signs exactly the UTF-8
 * bytes of its nonce with plain Ed25519 (RFC 8032). Returns the signature as
 * 128 lowercase hex characters, the form `verify` takes.
 */
export async function signChallenge(challenge: Challenge, privateKey: PrivateKeyInput, expected: ChallengeExpectation): Promise<string> {
  checkChallenge(challenge, expected);
  const signature = await signAsync(new TextEncoder().encode(challenge.nonce), decodePrivateKey(privateKey));
  return bytesToHex(signature);
}
