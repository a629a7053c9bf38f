import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The package runs in browsers and edge runtimes too. The package build
// (tsconfig.lib.json, no Node types) already fails on Node APIs; this says
// why, in the unit run, file by file.
const runtimeFiles = (): string[] => [
  join(__dirname, 'index.ts'),
  ...readdirSync(join(__dirname, 'lib'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.int-spec.ts'))
    .map((name) => join(__dirname, 'lib', name)),
];

/** The code without its comments, which may name what the code avoids. */
const code = (file: string): string =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1');

describe('SDK runtime code', () => {
  it.each(runtimeFiles().map((file) => [file.slice(__dirname.length + 1), file]))('%s uses no Node-only module or global', (_, file) => {
    const source = code(file);
    expect(source).not.toMatch(/from '(?:node:|fs|path|http|https|crypto|os|child_process|util|buffer)(?:\/[^']*)?'/);
    expect(source).not.toMatch(/\brequire\(/);
    expect(source).not.toMatch(/\b(?:Buffer|process|__dirname)\b/);
  });

  // jose for the client assertion (JWTs are never hand-rolled); like @noble/ed25519 it runs on WebCrypto everywhere.
  it('imports only @noble/ed25519 and jose from outside the package', () => {
    const external = new Set<string>();
    for (const file of runtimeFiles()) {
      for (const [, specifier] of code(file).matchAll(/from '([^']+)'/g)) {
        if (!specifier!.startsWith('.')) external.add(specifier!);
      }
    }
    expect([...external].sort()).toEqual(['@noble/ed25519', 'jose']);
  });
});
