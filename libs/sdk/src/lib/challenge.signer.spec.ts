import { verifyAsync } from '@noble/ed25519';

import { protocolVectors } from '../testing/protocol-vectors';
import { type ChallengeExpectation, checkChallenge, signChallenge } from './challenge.signer';
import { encodePrivateKeyPem } from './device-keys';
import { hexToBytes } from './encoding';
import { ChallengeRefusedError } from './m2m.error';
import { type Challenge } from './m2m.types';

const vectors = protocolVectors();
const bytes = (hex: string): Uint8Array => hexToBytes(hex)!;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The challenge the service would have answered with for a vector's nonce. */
const challengeOf = (vector: (typeof vectors.valid)[number]): Challenge => ({
  id: vector.fields.challengeId,
  deviceId: vector.fields.deviceId,
  nonce: vector.nonce,
  algorithm: 'Ed25519',
  expiresAt: vector.fields.expiresAt,
});
const beforeExpiry = (vector: (typeof vectors.valid)[number]): number => Date.parse(vector.fields.expiresAt) - 30_000;
const expectationOf = (vector: (typeof vectors.valid)[number]): ChallengeExpectation => ({
  deviceId: vector.deviceId,
  audience: vector.fields.audience,
  now: beforeExpiry(vector),
});

describe('signChallenge against docs/protocol/vectors.json', () => {
  it.each(vectors.valid.map((v) => [v.deviceId, v] as const))('reproduces the signature of the vector for %s', async (_, vector) => {
    // Ed25519 is deterministic: the same seed and nonce give the same signature, byte for byte.
    const signature = await signChallenge(challengeOf(vector), bytes(vector.privateKeySeed), expectationOf(vector));
    expect(signature).toBe(vector.signature);
    expect(await verifyAsync(bytes(signature), utf8(vector.nonce), bytes(vector.publicKey), { zip215: false })).toBe(true);
  });

  it('signs the same with the key as hex or as PEM', async () => {
    const vector = vectors.valid[0]!;
    const pem = encodePrivateKeyPem(bytes(vector.privateKeySeed));
    await expect(signChallenge(challengeOf(vector), pem, expectationOf(vector))).resolves.toBe(vector.signature);
    await expect(signChallenge(challengeOf(vector), vector.privateKeySeed, expectationOf(vector))).resolves.toBe(vector.signature);
  });

  it.each(vectors.invalidSignatures.map((v) => [v.name, v] as const))('a verifier refuses the vector "%s"', async (_, vector) => {
    expect(await verifyAsync(bytes(vector.signature), utf8(vector.nonce), bytes(vector.publicKey), { zip215: false })).toBe(false);
  });
});

describe('checkChallenge refuses to sign', () => {
  const vector = vectors.valid[0]!;
  const challenge = challengeOf(vector);
  const expected = expectationOf(vector);

  const refusal = async (promise: Promise<unknown>): Promise<ChallengeRefusedError> => {
    const error = await promise.then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ChallengeRefusedError);
    return error as ChallengeRefusedError;
  };
  const sign = (c: Challenge, e = expected) => signChallenge(c, vector.privateKeySeed, e);

  it('accepts the well-formed challenge it was given', () => {
    expect(checkChallenge(challenge, expected)).toEqual(vector.fields);
  });

  it('a malformed nonce', async () => {
    const error = await refusal(sign({ ...challenge, nonce: `${vector.nonce};extra=1` }));
    expect(error.reason).toBe('MALFORMED');
    expect(error.code).toBe('CHALLENGE_REFUSED');
  });

  it('a nonce for another device', async () => {
    const nonce = vector.nonce.replace('did=scanner-floor-3', 'did=scanner-floor-4');
    expect((await refusal(sign({ ...challenge, nonce }))).reason).toBe('WRONG_DEVICE');
    // The answer's deviceId alone is not trusted either.
    expect((await refusal(sign({ ...challenge, deviceId: 'scanner-floor-4' }))).reason).toBe('WRONG_DEVICE');
  });

  it('a nonce for another audience', async () => {
    const error = await refusal(sign(challenge, { ...expected, audience: 'https://other.example.com' }));
    expect(error.reason).toBe('WRONG_AUDIENCE');
    expect(error.message).toContain('https://auth.example.com');
  });

  it('a nonce that does not belong to the challenge id or expiry it came with', async () => {
    expect((await refusal(sign({ ...challenge, id: '11111111-2222-4333-8444-555555555555' }))).reason).toBe('WRONG_CHALLENGE');
    expect((await refusal(sign({ ...challenge, expiresAt: '2030-01-01T00:00:00.000Z' }))).reason).toBe('WRONG_CHALLENGE');
  });

  it('an expired challenge, beyond the clock tolerance', async () => {
    const expiry = Date.parse(vector.fields.expiresAt);
    expect((await refusal(sign(challenge, { ...expected, now: expiry + 10_000, clockToleranceMs: 10_000 }))).reason).toBe('EXPIRED');
    expect((await refusal(sign(challenge, { ...expected, now: expiry, clockToleranceMs: 0 }))).reason).toBe('EXPIRED');
    // Within the tolerance a device whose clock runs ahead still signs.
    await expect(sign(challenge, { ...expected, now: expiry + 9_999, clockToleranceMs: 10_000 })).resolves.toBe(vector.signature);
  });

  it('another algorithm', async () => {
    const error = await refusal(sign({ ...challenge, algorithm: 'Ed448' as 'Ed25519' }));
    expect(error.reason).toBe('UNSUPPORTED_ALGORITHM');
  });
});
