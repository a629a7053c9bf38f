import { getPublicKeyAsync, keygenAsync } from '@noble/ed25519';

import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes } from './encoding';

/** A device's Ed25519 key pair. `privateKey` is the 32-byte RFC 8032 seed: keep it on the device. */
export interface DeviceKeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The form `registerDevice` takes: 64 lowercase hex characters. */
  readonly publicKeyHex: string;
}

/**
 * A private key as the SDK accepts it: the 32-byte seed, the seed as 64 hex
 * characters, or a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) as written by
 * `m2m keygen`, `openssl genpkey -algorithm ed25519` or Node's
 * `privateKey.export({ format: 'pem', type: 'pkcs8' })`.
 */
export type PrivateKeyInput = Uint8Array | string;

const SEED_LENGTH = 32;
// RFC 8410: PrivateKeyInfo { version 0, AlgorithmIdentifier { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }.
const PKCS8_V1_PREFIX = hexToBytes('302e020100300506032b657004220420') as Uint8Array;
// RFC 5958 OneAsymmetricKey v2: the same with version 1, then [1] publicKey: tag 0x81, length 33, 0 unused bits, 32 bytes.
const PKCS8_V2_PREFIX = hexToBytes('3051020101300506032b657004220420') as Uint8Array;
const PKCS8_V2_PUBLIC_KEY_HEADER = [0x81, 0x21, 0x00] as const;
const PEM = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/;

/** A fresh key pair from the platform's CSPRNG (WebCrypto `getRandomValues`). */
export async function generateKeyPair(): Promise<DeviceKeyPair> {
  const { secretKey, publicKey } = await keygenAsync();
  return { privateKey: secretKey, publicKey, publicKeyHex: bytesToHex(publicKey) };
}

/** The public key that belongs to a private key, as 64 lowercase hex characters. */
export async function derivePublicKeyHex(privateKey: PrivateKeyInput): Promise<string> {
  return bytesToHex(await getPublicKeyAsync(decodePrivateKey(privateKey)));
}

/** The seed as an unencrypted PKCS#8 PEM (RFC 8410), the format OpenSSL and Node read. */
export function encodePrivateKeyPem(privateKey: Uint8Array): string {
  if (privateKey.length !== SEED_LENGTH) throw new TypeError(`An Ed25519 private key is ${SEED_LENGTH} bytes, not ${privateKey.length}`);
  const der = new Uint8Array(PKCS8_V1_PREFIX.length + SEED_LENGTH);
  der.set(PKCS8_V1_PREFIX);
  der.set(privateKey, PKCS8_V1_PREFIX.length);
  const body = bytesToBase64(der).replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY-----\n`;
}

/**
 * The 32-byte seed from any `PrivateKeyInput`. Throws a TypeError that never
 * quotes the input: it is a secret.
 */
export function decodePrivateKey(input: PrivateKeyInput): Uint8Array {
  if (input instanceof Uint8Array) {
    if (input.length !== SEED_LENGTH) throw new TypeError(`An Ed25519 private key is ${SEED_LENGTH} bytes, not ${input.length}`);
    return input;
  }
  const text = input.trim();
  const pem = PEM.exec(text);
  if (pem) return seedFromPkcs8(base64ToBytes((pem[1] as string).replace(/\s+/g, '')));
  if (text.includes('-----BEGIN')) {
    throw new TypeError('Only unencrypted PKCS#8 Ed25519 keys ("BEGIN PRIVATE KEY") are supported');
  }
  const seed = text.length === SEED_LENGTH * 2 ? hexToBytes(text) : null;
  if (!seed) throw new TypeError('A private key is a 32-byte seed, 64 hex characters, or a PKCS#8 PEM');
  return seed;
}

function seedFromPkcs8(der: Uint8Array | null): Uint8Array {
  const startsWith = (prefix: Uint8Array): boolean => der !== null && prefix.every((byte, i) => der[i] === byte);
  if (der && der.length === PKCS8_V1_PREFIX.length + SEED_LENGTH && startsWith(PKCS8_V1_PREFIX)) {
    return der.slice(PKCS8_V1_PREFIX.length);
  }
  const headerAt = PKCS8_V2_PREFIX.length + SEED_LENGTH;
  if (
    der &&
    der.length === headerAt + PKCS8_V2_PUBLIC_KEY_HEADER.length + SEED_LENGTH &&
    startsWith(PKCS8_V2_PREFIX) &&
    PKCS8_V2_PUBLIC_KEY_HEADER.every((byte, i) => der[headerAt + i] === byte)
  ) {
    return der.slice(PKCS8_V2_PREFIX.length, headerAt);
  }
  throw new TypeError('The PEM is not an Ed25519 PKCS#8 private key');
}
