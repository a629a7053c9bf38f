// What every publishable npm package of the workspace (@m2m-trust/sdk,
// @m2m-trust/cli) needs beside its build: the repository's LICENSE in the
// package folder (npm packs only files under the package), and a check that
// its `dependencies` are exactly what its built code imports, so an install
// outside the repository neither misses a package nor pulls an unused one.
import { copyFileSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** `jose` -> `jose`, `csv-stringify/sync` -> `csv-stringify`, `@noble/ed25519/x` -> `@noble/ed25519`. */
export const packageNameOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(packageNameOf(specifier));

/**
 * An esbuild plugin that leaves packages out of a bundle, except those `inline`
 * names (workspace libraries compiled in). Left out without side effects, so
 * an import whose bindings the bundle does not use disappears with them and
 * does not become a dependency.
 */
export function externalPackages(inline = () => false) {
  return {
    name: 'external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => (inline(args.path) ? undefined : { path: args.path, external: true, sideEffects: false }));
    },
  };
}

/** The packages (not Node built-ins) that the outputs described by an esbuild metafile import. */
export function importedPackages(metafile) {
  const names = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const entry of output.imports) if (entry.external && !isBuiltin(entry.path)) names.add(packageNameOf(entry.path));
  }
  return [...names].sort();
}

/** The packages a built ES module and what it imports relatively import at run time. */
export async function packagesImportedBy(entry) {
  const result = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'esm', metafile: true, logLevel: 'silent', plugins: [externalPackages()] });
  return importedPackages(result.metafile);
}

/**
 * Throws unless `dependencies` of the package in `packageDir` name exactly
 * `imported`, each at the range the workspace root installs and tests (or, for
 * a workspace package, at that package's own version).
 */
export function assertExactDependencies(packageDir, imported) {
  const manifest = readJson(join(packageDir, 'package.json'));
  const declared = manifest.dependencies ?? {};
  const root = readJson(join(ROOT, 'package.json'));
  const problems = [];
  for (const name of imported) if (!(name in declared)) problems.push(`imports ${name} but does not declare it`);
  for (const [name, range] of Object.entries(declared)) {
    if (!imported.includes(name)) {
      problems.push(`declares ${name} but never imports it`);
      continue;
    }
    const expected = name.startsWith('@m2m-trust/') ? readJson(join(ROOT, 'node_modules', name, 'package.json')).version : root.dependencies?.[name];
    if (range !== expected) problems.push(`declares ${name}@${range}, but the workspace has ${expected ?? 'no such dependency'}`);
  }
  if (problems.length > 0) throw new Error(`${manifest.name}: dependencies are not exact:\n  ${problems.join('\n  ')}`);
}

/** Copies the repository's LICENSE into the package folder, where npm pack finds it. */
export function copyLicense(packageDir) {
  copyFileSync(join(ROOT, 'LICENSE'), join(packageDir, 'LICENSE'));
}
