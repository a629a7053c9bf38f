import { createHash } from 'node:crypto';
import { Point } from '@noble/ed25519';

import { decodeFixedBytes, toBase64Url } from './encoding';

export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

/** The order of the Ed25519 base point, as 32 little-endian bytes. */
const L_BYTES = (() => {
  let l = (1n << 252n) + 27742317777372353535851937790883648493n;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++, l >>= 8n) bytes[i] = Number(l & 0xffn);
  return bytes;
})();

export type PublicKeyProblem = 'malformed' | 'not_a_point' | 'small_order' | 'mixed_order';

/**
 * Decides whether a public key may be registered. The pure-JS curve code runs
 * once per registration, never on the verify path: it rejects encodings that
 * are not canonical (y >= p, "negative zero") or not on the curve, the eight
 * points of small order, which would let one signature verify for any message,
 * and points with a small-order component (A = P + T, T of order 2, 4 or 8):
 * their signatures verify or not depending on whether the verifier multiplies
 * by the cofactor, so two RFC 8032 verifiers can disagree on them. A key is
 * accepted only in the prime-order subgroup, where [L]A is the identity.
 */
export function checkPublicKey(text: string): { ok: true; key: Uint8Array } | { ok: false; problem: PublicKeyProblem } {
  const key = decodeFixedBytes(text, PUBLIC_KEY_LENGTH);
  if (!key) return { ok: false, problem: 'malformed' };
  let point: Point;
  try {
    point = Point.fromBytes(key, false);
  } catch {
    return { ok: false, problem: 'not_a_point' };
  }
  // Strict decoding accepts x = 0 with the sign bit set; its canonical
  // re-encoding differs, so compare bytes to refuse the second spelling.
  if (Buffer.compare(Buffer.from(point.toBytes()), Buffer.from(key)) !== 0) return { ok: false, problem: 'not_a_point' };
  if (point.isSmallOrder()) return { ok: false, problem: 'small_order' };
  if (!point.isTorsionFree()) return { ok: false, problem: 'mixed_order' };
  return { ok: true, key };
}

/** Signature bytes from hex or base64url text, or null when malformed. */
export function decodeSignature(text: string): Uint8Array | null {
  return decodeFixedBytes(text, SIGNATURE_LENGTH);
}

/**
 * RFC 8032 requires S < L; a verifier that accepts S + L lets anyone turn one
 * valid signature into a second, different valid one.
 */
export function isCanonicalSignature(signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  // Compare S (the second half, little-endian) with L from the top byte down.
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i] as number;
    const l = L_BYTES[i] as number;
    if (s !== l) return s < l;
  }
  return false;
}

/** RFC 7638 JWK thumbprint of an Ed25519 key (RFC 8037 OKP members, sorted). */
export function jwkThumbprint(publicKey: Uint8Array): string {
  const jwk = `{"crv":"Ed25519","kty":"OKP","x":"${toBase64Url(publicKey)}"}`;
  return createHash('sha256').update(jwk).digest('base64url');
}
