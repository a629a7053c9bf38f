import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { verifyAsync } from '@noble/ed25519';

import { protocolVectors } from '../testing/protocol-vectors';
import { decodePrivateKey, derivePublicKeyHex, encodePrivateKeyPem, generateKeyPair } from './device-keys';
import { bytesToHex, hexToBytes } from './encoding';

const rawPublicKey = (key: ReturnType<typeof createPublicKey>): string =>
  Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');

describe('device keys', () => {
  const vector = protocolVectors().valid[0]!;

  it('derives the RFC 8032 public key of a seed', async () => {
    await expect(derivePublicKeyHex(vector.privateKeySeed)).resolves.toBe(vector.publicKey);
  });

  it('generates distinct pairs whose halves belong together', async () => {
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    expect(a.privateKey).toHaveLength(32);
    expect(a.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(a.publicKeyHex).not.toBe(b.publicKeyHex);
    await expect(derivePublicKeyHex(a.privateKey)).resolves.toBe(a.publicKeyHex);
  });

  it('writes PEM that OpenSSL (node:crypto) reads as the same key', async () => {
    const pair = await generateKeyPair();
    const key = createPrivateKey(encodePrivateKeyPem(pair.privateKey));
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(rawPublicKey(createPublicKey(key))).toBe(pair.publicKeyHex);
    const signature = nodeSign(null, Buffer.from('hello'), key);
    expect(await verifyAsync(new Uint8Array(signature), new TextEncoder().encode('hello'), pair.publicKey)).toBe(true);
  });

  it('reads the PEM that node:crypto writes (PKCS#8 v1)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await expect(derivePublicKeyHex(pem)).resolves.toBe(rawPublicKey(publicKey));
    // And signs with it so node:crypto verifies.
    const seed = decodePrivateKey(pem);
    expect(nodeVerify(null, Buffer.from('m'), publicKey, Buffer.from(nodeSign(null, Buffer.from('m'), createPrivateKey(encodePrivateKeyPem(seed)))))).toBe(true);
  });

  it('reads PKCS#8 v2 (OneAsymmetricKey with the public key)', () => {
    const der = hexToBytes(`3051020101300506032b657004220420${vector.privateKeySeed}812100${vector.publicKey}`)!;
    const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    expect(bytesToHex(decodePrivateKey(pem))).toBe(vector.privateKeySeed);
  });

  it.each([
    ['a P-256 key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
    [
      'an encrypted key',
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString(),
    ],
    ['31 bytes of hex', vector.privateKeySeed.slice(2)],
    ['hex that is not hex', `zz${vector.privateKeySeed.slice(2)}`],
  ])('refuses %s without quoting it', (_, input) => {
    let message = '';
    try {
      decodePrivateKey(input);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain(input.slice(40, 60));
  });

  it('refuses a seed of the wrong length', () => {
    expect(() => decodePrivateKey(new Uint8Array(31))).toThrow(TypeError);
    expect(() => encodePrivateKeyPem(new Uint8Array(64))).toThrow(TypeError);
  });
});
