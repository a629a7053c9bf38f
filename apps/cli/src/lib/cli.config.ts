import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ConfigError } from './cli.error';

/** Where and how to reach the service. Secrets stay in here: nothing prints them. */
export interface CliSettings {
  readonly url: string | undefined;
  readonly apiKey: string | undefined;
  readonly audience: string | undefined;
  readonly timeoutMs: number | undefined;
  /** The config file that was read, if any: named in messages about missing settings. */
  readonly configFile: string | undefined;
}

export interface SettingsSources {
  /** --url, --api-key, --audience, --timeout, --config */
  readonly flags: { readonly url?: string; readonly apiKey?: string; readonly audience?: string; readonly timeoutMs?: number; readonly config?: string };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly cwd: string;
  /** Told about a config file other users can read, since it may hold the API key. */
  readonly warn: (message: string) => void;
}

const FILE_KEYS = ['url', 'apiKey', 'audience', 'timeoutMs'] as const;
type FileSettings = Partial<{ url: string; apiKey: string; audience: string; timeoutMs: number }>;

/** `--config`, else `M2M_CONFIG`, else `$XDG_CONFIG_HOME/m2m/config.json` (`~/.config/m2m/config.json`). */
export function configFilePath(sources: Pick<SettingsSources, 'flags' | 'env' | 'homeDir' | 'cwd'>): { path: string; explicit: boolean } {
  const named = sources.flags.config ?? sources.env['M2M_CONFIG'];
  if (named) return { path: resolve(sources.cwd, named), explicit: true };
  const base = sources.env['XDG_CONFIG_HOME'] || join(sources.homeDir, '.config');
  return { path: join(base, 'm2m', 'config.json'), explicit: false };
}

/**
 * Settings by precedence: flags, then the environment (M2M_URL, M2M_API_KEY,
 * M2M_AUDIENCE, M2M_TIMEOUT_MS), then the config file. A named config file
 * must exist; the default one may not.
 */
export function resolveSettings(sources: SettingsSources): CliSettings {
  const { path, explicit } = configFilePath(sources);
  const file = readConfigFile(path, explicit, sources.warn);
  const envTimeout = sources.env['M2M_TIMEOUT_MS'] ? parseTimeout(sources.env['M2M_TIMEOUT_MS'], 'M2M_TIMEOUT_MS', ConfigError) : undefined;
  return {
    url: sources.flags.url ?? (sources.env['M2M_URL'] || undefined) ?? file?.url,
    apiKey: sources.flags.apiKey ?? (sources.env['M2M_API_KEY'] || undefined) ?? file?.apiKey,
    audience: sources.flags.audience ?? (sources.env['M2M_AUDIENCE'] || undefined) ?? file?.audience,
    timeoutMs: sources.flags.timeoutMs ?? envTimeout ?? file?.timeoutMs,
    configFile: file ? path : undefined,
  };
}

export function parseTimeout(text: string, name: string, type: new (message: string) => Error): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new type(`${name} must be a positive whole number of milliseconds, not ${JSON.stringify(text)}`);
  return Number(text);
}

function readConfigFile(path: string, explicit: boolean, warn: (message: string) => void): FileSettings | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The config file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`The config file ${path} must hold a JSON object`);
  const record = parsed as Record<string, unknown>;
  // A misspelt key ("apikey") silently ignored would send requests without the key: refuse it.
  const unknown = Object.keys(record).filter((key) => !(FILE_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new ConfigError(`The config file ${path} has unknown keys: ${unknown.join(', ')} (known: ${FILE_KEYS.join(', ')})`);
  for (const key of ['url', 'apiKey', 'audience'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') throw new ConfigError(`${key} in ${path} must be a string`);
  }
  if (record['timeoutMs'] !== undefined && !(typeof record['timeoutMs'] === 'number' && Number.isInteger(record['timeoutMs']) && record['timeoutMs'] > 0)) {
    throw new ConfigError(`timeoutMs in ${path} must be a positive whole number`);
  }
  if (record['apiKey'] !== undefined && (statSync(path).mode & 0o077) !== 0) {
    warn(`warning: ${path} holds the API key and other users can read it; run: chmod 600 ${path}`);
  }
  return record as FileSettings;
}
