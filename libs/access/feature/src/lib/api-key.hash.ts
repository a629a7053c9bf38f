import { formatApiKey } from '@m2m-trust/access-domain';

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256, not a password hash: the secret is 256 random bits, so there is
 * no dictionary to slow down, and a fast hash keeps every request's key check
 * cheap (docs/api-keys.md).
 */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Constant time over the digests, which have the same length whatever was presented. */
export const secretMatches = (secret: string, secretHash: string): boolean =>
  timingSafeEqual(createHash('sha256').update(secret, 'utf8').digest(), Buffer.from(secretHash, 'hex'));

export interface NewApiKeySecret {
  readonly apiKeyId: string;
  readonly key: string;
  readonly secretHash: string;
}

/** A fresh id (96 bits, hex) and secret (256 bits, base64url), and the key callers hold. */
export function newApiKeySecret(): NewApiKeySecret {
  const apiKeyId = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { apiKeyId, key: formatApiKey(apiKeyId, secret), secretHash: hashSecret(secret) };
}
