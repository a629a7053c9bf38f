import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = '@m2m-trust/cli';

function versionIn(file: string): string | undefined {
  let manifest: { name?: unknown; version?: unknown; bin?: unknown };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  const hasM2mBin = typeof manifest.bin === 'object' && manifest.bin !== null && 'm2m' in manifest.bin;
  return (manifest.name === PACKAGE_NAME || hasM2mBin) && typeof manifest.version === 'string' ? manifest.version : undefined;
}

/**
 * m2m's version, read at run time from the CLI package's package.json: the
 * nearest one above `moduleDir` (the running code's directory) that is the
 * CLI's, as in an installed package; or, in a workspace build (dist/apps/cli/…),
 * apps/cli/package.json beside the dist/ it runs from.
 */
export function cliVersion(moduleDir: string): string {
  for (let dir = moduleDir; ; dir = dirname(dir)) {
    const version = versionIn(join(dir, 'package.json')) ?? versionIn(join(dir, 'apps', 'cli', 'package.json'));
    if (version !== undefined) return version;
    if (dirname(dir) === dir) throw new Error(`No package.json of ${PACKAGE_NAME} above ${moduleDir}: m2m is not installed whole`);
  }
}
