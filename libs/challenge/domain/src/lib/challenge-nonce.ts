/**
 * The challenge string a device signs, byte for byte (UTF-8). Its shape is the
 * protocol (docs/protocol.md): a fixed label and version for domain
 * separation, then fields in a fixed order that bind the signature to one
 * service, one challenge, one device and one time window.
 *
 *   m2m-trust-challenge/v1;aud=<audience>;cid=<challengeId>;did=<deviceId>;rnd=<43 base64url>;exp=<RFC 3339 UTC>
 */
export const CHALLENGE_PROTOCOL_LABEL = 'm2m-trust-challenge/v1';

export interface ChallengeNonceFields {
  readonly audience: string;
  readonly challengeId: string;
  readonly deviceId: string;
  /** 32 bytes from a CSPRNG, unpadded base64url (43 characters). */
  readonly random: string;
  /** RFC 3339 UTC timestamp with milliseconds, as `Date#toISOString` writes it. */
  readonly expiresAt: string;
}

const FIELD_ORDER = ['aud', 'cid', 'did', 'rnd', 'exp'] as const;
const RANDOM = /^[A-Za-z0-9_-]{43}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Values may not contain the separators or white space. */
const SAFE_VALUE = /^[^;\s]+$/;

export function formatChallengeNonce(fields: ChallengeNonceFields): string {
  for (const value of [fields.audience, fields.challengeId, fields.deviceId]) {
    if (!SAFE_VALUE.test(value)) throw new Error(`challenge field cannot hold ${JSON.stringify(value)}`);
  }
  if (!RANDOM.test(fields.random)) throw new Error('challenge random must be 32 bytes as base64url');
  if (!INSTANT.test(fields.expiresAt)) throw new Error('challenge expiry must be an RFC 3339 UTC instant');
  return `${CHALLENGE_PROTOCOL_LABEL};aud=${fields.audience};cid=${fields.challengeId};did=${fields.deviceId};rnd=${fields.random};exp=${fields.expiresAt}`;
}

/** Parses a nonce strictly: the exact label, every field once, in order. Null when it is not one. */
export function parseChallengeNonce(nonce: string): ChallengeNonceFields | null {
  const parts = nonce.split(';');
  if (parts.length !== FIELD_ORDER.length + 1 || parts[0] !== CHALLENGE_PROTOCOL_LABEL) return null;
  const values: string[] = [];
  for (let i = 0; i < FIELD_ORDER.length; i++) {
    const part = parts[i + 1] as string;
    const prefix = `${FIELD_ORDER[i]}=`;
    if (!part.startsWith(prefix)) return null;
    const value = part.slice(prefix.length);
    if (!SAFE_VALUE.test(value)) return null;
    values.push(value);
  }
  const [audience, challengeId, deviceId, random, expiresAt] = values as [string, string, string, string, string];
  if (!RANDOM.test(random) || !INSTANT.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) return null;
  return { audience, challengeId, deviceId, random, expiresAt };
}
