import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface AuditSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The public half as published in the key set. */
  readonly jwk: JWK;
}

export const AUDIT_SIGNING_KEY = Symbol.for('m2m-trust.AuditSigningKey');

/**
 * The Ed25519 key that signs checkpoints and export manifests: kept in the
 * data directory (mode 0600), generated on first start. Its id is its RFC 7638
 * thumbprint, so anyone holding the public key can name it.
 */
export async function loadAuditSigningKey(dataDir: string): Promise<AuditSigningKey> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'audit-signing-key.pem');
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const generated = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    try {
      writeFileSync(file, generated, { mode: 0o600, flag: 'wx' });
      pem = generated;
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      pem = readFileSync(file, 'utf8');
    }
  }
  const privateKey = createPrivateKey(pem);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, jwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, kid, alg: 'EdDSA', use: 'sig' } };
}
