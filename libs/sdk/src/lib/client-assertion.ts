import { base64url, importJWK, SignJWT } from 'jose';

import { decodePrivateKey, derivePublicKeyHex, type PrivateKeyInput } from './device-keys';
import { hexToBytes } from './encoding';

/** `client_assertion_type` of a JWT client assertion (RFC 7523 section 2.2). */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAssertionInput {
  readonly deviceId: string;
  readonly privateKey: PrivateKeyInput;
  /** The token endpoint's URL, or the service's issuer identifier. */
  readonly audience: string;
  /** Seconds until it expires (default 60); the service accepts at most M2M_CLIENT_ASSERTION_MAX_SECONDS (300). */
  readonly lifetimeSeconds?: number;
}

/**
 * A single-use client assertion for POST /oauth2/token (private_key_jwt): an
 * EdDSA JWT with iss = sub = the device id, a fresh random jti, signed with
 * the device's key by jose. The key never leaves this process.
 */
export async function signClientAssertion(input: ClientAssertionInput): Promise<string> {
  const lifetime = input.lifetimeSeconds ?? 60;
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new RangeError('lifetimeSeconds must be a positive integer');
  const seed = decodePrivateKey(input.privateKey);
  const x = hexToBytes(await derivePublicKeyHex(seed));
  if (!x) throw new Error('could not derive the public key');
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', d: base64url.encode(seed), x: base64url.encode(x) }, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(input.deviceId)
    .setSubject(input.deviceId)
    .setAudience(input.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetime)
    .setJti(globalThis.crypto.randomUUID())
    .sign(key);
}
