import { derivePublicKeyHex } from '@m2m-trust/sdk';

import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { ConfigError, UsageError } from './cli.error';
import { readPrivateKeyFile } from './private-key.file';

/** What to give instead of a key in the wrong format; the service tells the same. */
export const PUBLIC_KEY_HINT =
  'give the raw 32-byte Ed25519 public key as 64 hex characters ' +
  '(from a PEM file: `openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64`, ' +
  'or pass the .pem file itself; or make a key pair with `m2m keygen`)';

const RAW_KEY = /^(?:[0-9a-f]{64}|[A-Za-z0-9_-]{43})$/i;
// As `openssl pkey -text` prints it: pairs of hex digits split by colons and line breaks.
const SPACED_HEX = /^[0-9a-f]{2}(?:[:\s]+[0-9a-f]{2}){31}$/i;
const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The raw key text (hex or base64url) as the service takes it, or undefined when `text` is not one. */
function rawKey(text: string): string | undefined {
  const trimmed = text.trim();
  if (RAW_KEY.test(trimmed)) return trimmed;
  if (SPACED_HEX.test(trimmed)) return trimmed.replace(/[:\s]/g, '');
  return undefined;
}

/**
 * The public key of a PEM block (a public key, or a certificate) as 64 hex
 * characters. Line breaks lost on the way (pasted on one line) are restored
 * first. The caller has made sure it is no private key.
 */
function fromPem(label: string, body: string, source: string): string {
  const base64 = body.replace(/\s+/g, '');
  const pem = `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError(`${source} is a PEM "${label}" that holds no public key m2m can read: ${PUBLIC_KEY_HINT}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new UsageError(`${source} holds a key of type ${key.asymmetricKeyType ?? 'unknown'}; devices have Ed25519 keys (make one with m2m keygen, or openssl genpkey -algorithm ed25519)`);
  }
  return Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
}

/**
 * `--public-key VALUE`: 64 hex or 43 base64url characters (hex split by
 * colons, as OpenSSL prints it, too); a PEM public key ("BEGIN PUBLIC KEY")
 * pasted whole; or a file holding any of those, or a PKCS#8 private key
 * whose public half is taken (as with --key). A private key pasted on the
 * command line is refused, never sent and never printed.
 */
export async function publicKeyArgument(value: string, cwd: string, warn: (message: string) => void): Promise<string> {
  const raw = rawKey(value);
  if (raw !== undefined) return raw;
  const pem = PEM.exec(value);
  if (pem) {
    const [, label = '', body = ''] = pem;
    if (label.includes('PRIVATE KEY')) {
      throw new UsageError(
        '--public-key was given a private key: it was not sent, and is not shown. Give the public key, or the private key file ' +
          'as --key FILE (its public half is registered); a key on a command line can be seen in ps and shell history',
      );
    }
    return fromPem(label, body, '--public-key');
  }
  const path = resolve(cwd, value);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`--public-key is neither a public key nor a file (${value.length} characters): ${PUBLIC_KEY_HINT}`);
  }
  return publicKeyInFile(path, warn);
}

async function publicKeyInFile(path: string, warn: (message: string) => void): Promise<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const raw = rawKey(text);
  if (raw !== undefined) return raw;
  const pem = PEM.exec(text);
  if (!pem) throw new UsageError(`${path} holds no public key: ${PUBLIC_KEY_HINT}`);
  const [, label = '', body = ''] = pem;
  if (label.includes('PRIVATE KEY')) {
    const publicKey = await derivePublicKeyHex(readPrivateKeyFile(path, warn));
    warn(`${path} is a private key: registering its public half`);
    return publicKey;
  }
  return fromPem(label, body, path);
}
