// Writes docs/protocol/vectors.json: the challenge-response test vectors that
// the server, the SDKs and any third-party device implementation check against.
// Signatures come from node:crypto (OpenSSL); Ed25519 is deterministic, so
// running this again reproduces the file byte for byte.
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Point } from '@noble/ed25519';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const keyFromSeed = (seedHex) => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
const publicHex = (priv) => Buffer.from(createPublicKey(priv).export({ format: 'jwk' }).x, 'base64url').toString('hex');

const nonce = (f) => `m2m-trust-challenge/v1;aud=${f.audience};cid=${f.challengeId};did=${f.deviceId};rnd=${f.random};exp=${f.expiresAt}`;

const devices = [
  { deviceId: 'scanner-floor-3', seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60' },
  { deviceId: 'meter:eu-west.7', seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb' },
];
const challenges = [
  { device: 0, challengeId: '0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01', random: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', expiresAt: '2026-11-21T08:01:00.000Z', audience: 'https://auth.example.com' },
  { device: 1, challengeId: '7d0f6a62-1b3c-4b8e-8f51-2e7c9d4a6b02', random: '_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-8', expiresAt: '2030-01-01T00:00:00.000Z', audience: 'http://127.0.0.1:8080' },
];

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const le32 = (n) => { const b = Buffer.alloc(32); for (let i = 0; i < 32; i++, n >>= 8n) b[i] = Number(n & 0xffn); return b; };
const fromLe = (b) => { let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]); return n; };

const valid = challenges.map((c) => {
  const d = devices[c.device];
  const priv = keyFromSeed(d.seed);
  const fields = { audience: c.audience, challengeId: c.challengeId, deviceId: d.deviceId, random: c.random, expiresAt: c.expiresAt };
  const text = nonce(fields);
  return { deviceId: d.deviceId, privateKeySeed: d.seed, publicKey: publicHex(priv), fields, nonce: text, signature: sign(null, Buffer.from(text, 'utf8'), priv).toString('hex') };
});

const v0 = valid[0];
const sig = Buffer.from(v0.signature, 'hex');
const sPlusL = Buffer.concat([sig.subarray(0, 32), le32(fromLe(sig.subarray(32)) + L)]);
const flipped = Buffer.from(sig); flipped[0] ^= 0x01;

// Mixed order: a valid key plus a point of small order (docs/protocol.md, "Keys"). On the curve, canonical, not
// of small order itself, but outside the prime-order subgroup: [L]A is not the identity.
const plus = (hex) => Point.fromHex(v0.publicKey).add(Point.fromHex(hex)).toHex();
const mixed = [
  ['order 2 (y = p - 1)', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['order 4 (y = 0)', '0000000000000000000000000000000000000000000000000000000000000000'],
  ['order 8', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
].map(([name, torsion]) => ({ name: `mixed order: the first valid key + the ${name} point`, publicKey: plus(torsion), expected: 'INVALID_PUBLIC_KEY', validKey: v0.publicKey, smallOrderPoint: torsion }));

const vectors = {
  description: 'Challenge-response test vectors for m2m-trust-challenge/v1 (docs/protocol.md). Keys are RFC 8032 test keys: never use them on a device.',
  algorithm: 'Ed25519 (RFC 8032), signing the UTF-8 bytes of `nonce`',
  valid,
  invalidSignatures: [
    { name: 'S + L: same R, S not reduced (malleated)', publicKey: v0.publicKey, nonce: v0.nonce, signature: sPlusL.toString('hex'), expected: 'SIGNATURE_NON_CANONICAL' },
    { name: 'one bit of R flipped', publicKey: v0.publicKey, nonce: v0.nonce, signature: flipped.toString('hex'), expected: 'SIGNATURE_INVALID' },
    { name: 'signature of another challenge', publicKey: v0.publicKey, nonce: v0.nonce, signature: valid[1].signature, expected: 'SIGNATURE_INVALID' },
    { name: 'right signature, other key', publicKey: valid[1].publicKey, nonce: v0.nonce, signature: v0.signature, expected: 'SIGNATURE_INVALID' },
  ],
  invalidPublicKeys: [
    { name: 'identity (order 1)', publicKey: '0100000000000000000000000000000000000000000000000000000000000000', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 2 (y = p - 1)', publicKey: 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 4 (y = 0)', publicKey: '0000000000000000000000000000000000000000000000000000000000000000', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 4 (y = 0, sign bit)', publicKey: '0000000000000000000000000000000000000000000000000000000000000080', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 8', publicKey: 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 8, sign bit', publicKey: 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 8 (other)', publicKey: '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'order 8 (other), sign bit', publicKey: '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'non-canonical: y = p', publicKey: 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'non-canonical: y = p + 1', publicKey: 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'non-canonical: identity with the sign bit ("negative zero")', publicKey: '0100000000000000000000000000000000000000000000000000000000000080', expected: 'INVALID_PUBLIC_KEY' },
    { name: 'not on the curve (y = 2)', publicKey: '0200000000000000000000000000000000000000000000000000000000000000', expected: 'INVALID_PUBLIC_KEY' },
    { name: '31 bytes', publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751', expected: 'VALIDATION_FAILED' },
    ...mixed,
  ],
};
writeFileSync(new URL('../../docs/protocol/vectors.json', import.meta.url), `${JSON.stringify(vectors, null, 2)}\n`);
