import { readFileSync } from 'node:fs';
import { type JSONWebKeySet } from 'jose';

import { ConfigError } from '../cli.error';

/** The audit key set an auditor saved (`--keys FILE`, as GET /epcis/checkpoints/keys answers); a file that is not one is a ConfigError. */
export function readKeyFile(path: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read the key set ${path}: ${(error as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'object' || key === null)) {
    throw new ConfigError(`${path} is not a JWKS ({"keys": [...]}), as GET /epcis/checkpoints/keys answers`);
  }
  return parsed as JSONWebKeySet;
}
