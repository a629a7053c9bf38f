import { decodePrivateKey } from '@m2m-trust/sdk';

import { chmodSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { ConfigError } from './cli.error';

/**
 * Writes the PEM so that no other user can read it at any moment: the file is
 * created with mode 0600, never opened wider and narrowed later. Without
 * `force` an existing file is never replaced (it may be the only copy of a
 * registered key); with it, a fresh file is moved over the old one.
 */
export function writePrivateKeyFile(path: string, pem: string, force: boolean): void {
  const target = force ? join(dirname(path), `.${basename(path)}.${process.pid}.tmp`) : path;
  try {
    writeFileSync(target, pem, { mode: 0o600, flag: 'wx' });
    // The umask can only remove bits; make it exactly 0600 all the same.
    chmodSync(target, 0o600);
    if (force) renameSync(target, path);
  } catch (error) {
    if (force) unlinkQuietly(target);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError(`${path} exists; pass --force to replace it`);
    throw new ConfigError(`Cannot write ${path}: ${(error as Error).message}`);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Never created, or already moved into place.
  }
}

/** Reads a private key file (PKCS#8 PEM or 64 hex characters) into its seed. */
export function readPrivateKeyFile(path: string, warn: (message: string) => void): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    if ((statSync(path).mode & 0o077) !== 0) warn(`warning: the private key ${path} is readable by other users; run: chmod 600 ${path}`);
  } catch (error) {
    throw new ConfigError(`Cannot read the private key ${path}: ${(error as Error).message}`);
  }
  try {
    return decodePrivateKey(text);
  } catch (error) {
    // The SDK's message never quotes the key; neither does this one.
    throw new ConfigError(`${path}: ${(error as Error).message}`);
  }
}
