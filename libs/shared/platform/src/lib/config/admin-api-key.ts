import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type AppConfig, Secret } from './app-config';

export interface AdminApiKey {
  readonly key: Secret;
  /** Where the generated key is kept; null when it came from the environment. */
  readonly file: string | null;
  /** True only on the start that created the key: the one time it is printed. */
  readonly generated: boolean;
}

export const ADMIN_API_KEY = Symbol.for('m2m-trust.AdminApiKey');

/** The admin key from M2M_ADMIN_API_KEY, or else the one generated into the data directory (mode 0600). */
export function resolveAdminApiKey(config: AppConfig): AdminApiKey {
  if (config.adminApiKey) return { key: config.adminApiKey, file: null, generated: false };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, 'admin-api-key');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    if (stored.length >= 16) return { key: new Secret(stored), file, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `m2m_admin_${randomBytes(32).toString('base64url')}`;
  // 'wx' fails if another process created it first; then that one wins.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveAdminApiKey(config);
    throw error;
  }
  return { key: new Secret(key), file, generated: true };
}
