import { createPublicKey, type KeyObject, verify } from 'node:crypto';

import { isCanonicalSignature } from './ed25519.rules';

export type SignatureCheck = 'valid' | 'invalid' | 'non_canonical';

/** Parses a raw 32-byte key once into the form OpenSSL verifies with. */
export function ed25519KeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
}

/**
 * The server's verifier: OpenSSL through node:crypto (native, many times the
 * speed of pure JS), after the S < L rule so a malleated signature is named as such.
 */
export function checkEd25519Signature(key: KeyObject, message: string, signature: Uint8Array): SignatureCheck {
  if (!isCanonicalSignature(signature)) return 'non_canonical';
  return verify(null, Buffer.from(message, 'utf8'), key, signature) ? 'valid' : 'invalid';
}
