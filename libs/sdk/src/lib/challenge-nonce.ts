/**
 * The nonce a device signs (docs/protocol.md), parsed on the device side:
 *
 *   m2m-trust-challenge/v1;aud=<audience>;cid=<challengeId>;did=<deviceId>;rnd=<43 base64url>;exp=<RFC 3339 UTC>
 *
 * Written independently of the service's formatter so the SDK depends on
 * nothing inside the workspace; the shared vectors (docs/protocol/vectors.json)
 * keep the two in step.
 */
export const CHALLENGE_PROTOCOL_LABEL = 'm2m-trust-challenge/v1';

export interface ChallengeNonceFields {
  readonly audience: string;
  readonly challengeId: string;
  readonly deviceId: string;
  /** 32 random bytes, unpadded base64url. */
  readonly random: string;
  /** RFC 3339 UTC with milliseconds. */
  readonly expiresAt: string;
}

const FIELD_NAMES = ['aud', 'cid', 'did', 'rnd', 'exp'] as const;
const RANDOM = /^[A-Za-z0-9_-]{43}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SAFE_VALUE = /^[^;\s]+$/;

/**
 * Parses strictly: the exact label, each field once, in order, nothing after.
 * Null when the text is not a v1 nonce; a device must then refuse to sign it.
 */
export function parseChallengeNonce(nonce: string): ChallengeNonceFields | null {
  const parts = nonce.split(';');
  if (parts.length !== FIELD_NAMES.length + 1 || parts[0] !== CHALLENGE_PROTOCOL_LABEL) return null;
  const values: string[] = [];
  for (const [index, name] of FIELD_NAMES.entries()) {
    const part = parts[index + 1] as string;
    if (!part.startsWith(`${name}=`)) return null;
    const value = part.slice(name.length + 1);
    if (!SAFE_VALUE.test(value)) return null;
    values.push(value);
  }
  const [audience, challengeId, deviceId, random, expiresAt] = values as [string, string, string, string, string];
  if (!RANDOM.test(random) || !INSTANT.test(expiresAt)) return null;
  // The regex admits month 13 or February 30; a real instant round-trips through Date unchanged.
  const instant = new Date(expiresAt);
  if (Number.isNaN(instant.getTime()) || instant.toISOString() !== expiresAt) return null;
  return { audience, challengeId, deviceId, random, expiresAt };
}
