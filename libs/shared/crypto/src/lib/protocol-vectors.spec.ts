import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAsync as nobleVerify } from '@noble/ed25519';

import { checkPublicKey, decodeSignature, isCanonicalSignature, jwkThumbprint } from './ed25519.rules';
import { checkEd25519Signature, ed25519KeyObject } from './ed25519.verifier';

interface Vectors {
  valid: { publicKey: string; nonce: string; signature: string }[];
  invalidSignatures: { name: string; publicKey: string; nonce: string; signature: string; expected: string }[];
  invalidPublicKeys: { name: string; publicKey: string; expected: 'INVALID_PUBLIC_KEY' | 'VALIDATION_FAILED' }[];
}

const vectors = JSON.parse(readFileSync(join(__dirname, '../../../../../docs/protocol/vectors.json'), 'utf8')) as Vectors;
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const native = (publicKey: string, nonce: string, signature: string) =>
  checkEd25519Signature(ed25519KeyObject(bytes(publicKey)), nonce, bytes(signature));
// RFC 8032 verification in pure JS (zip215: false is the strict RFC reading).
const pureJs = (publicKey: string, nonce: string, signature: string) =>
  nobleVerify(bytes(signature), new TextEncoder().encode(nonce), bytes(publicKey), { zip215: false });

describe('protocol vectors (docs/protocol/vectors.json)', () => {
  it.each(vectors.valid.map((v) => [v.nonce.slice(0, 60), v] as const))('valid: %s…', async (_, v) => {
    expect(checkPublicKey(v.publicKey).ok).toBe(true);
    expect(native(v.publicKey, v.nonce, v.signature)).toBe('valid');
    expect(await pureJs(v.publicKey, v.nonce, v.signature)).toBe(true);
  });

  it.each(vectors.invalidSignatures.map((v) => [v.name, v] as const))('refused signature: %s', async (_, v) => {
    const expected = v.expected === 'SIGNATURE_NON_CANONICAL' ? 'non_canonical' : 'invalid';
    expect(native(v.publicKey, v.nonce, v.signature)).toBe(expected);
    // Both verifiers refuse it: the native one is not more lenient than the RFC.
    expect(await pureJs(v.publicKey, v.nonce, v.signature)).toBe(false);
  });

  it.each(vectors.invalidPublicKeys.map((v) => [v.name, v] as const))('refused key: %s', (_, v) => {
    const checked = checkPublicKey(v.publicKey);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem === 'malformed' ? 'VALIDATION_FAILED' : 'INVALID_PUBLIC_KEY').toBe(v.expected);
  });
});

describe('encodings', () => {
  const v = vectors.valid[0]!;

  it('accepts a signature as hex in either case or as base64url, and nothing else', () => {
    const sig = Buffer.from(v.signature, 'hex');
    expect(decodeSignature(v.signature.toUpperCase())).toEqual(new Uint8Array(sig));
    expect(decodeSignature(sig.toString('base64url'))).toEqual(new Uint8Array(sig));
    expect(decodeSignature(sig.toString('base64'))).toBeNull();
    expect(decodeSignature(v.signature.slice(2))).toBeNull();
  });

  it('refuses base64url with non-zero padding bits (two spellings of one value)', () => {
    const key = Buffer.from(v.publicKey, 'hex').toString('base64url');
    const last = key[key.length - 1]!;
    const sibling = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last) ^ 1;
    const respelled = key.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[sibling];
    expect(checkPublicKey(key).ok).toBe(true);
    expect(checkPublicKey(respelled)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('draws the S < L line exactly at L', () => {
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const withS = (s: bigint): Uint8Array => {
      const out = new Uint8Array(64);
      for (let i = 0; i < 32; i++, s >>= 8n) out[32 + i] = Number(s & 0xffn);
      return out;
    };
    expect(isCanonicalSignature(withS(L - 1n))).toBe(true);
    expect(isCanonicalSignature(withS(L))).toBe(false);
    expect(isCanonicalSignature(withS(L + 1n))).toBe(false);
    expect(isCanonicalSignature(withS(0n))).toBe(true);
  });

  it('computes the RFC 8037 Appendix A.3 thumbprint', () => {
    expect(jwkThumbprint(bytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
  });
});
