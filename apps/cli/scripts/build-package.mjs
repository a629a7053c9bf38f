// Builds @m2m-trust/cli for publishing, and for `npx m2m` in the repository:
// one CommonJS file, dist/m2m.cjs, that bin/m2m.mjs runs.
//
// Why a bundle: the CLI uses workspace libraries that are not published
// (@m2m-trust/audit-export and what it imports). esbuild compiles the parts
// of them the CLI reaches into the file and leaves every package out, so
// those stay ordinary dependencies, @m2m-trust/sdk among them. Then it
// checks that package.json declares exactly those packages, and puts the
// repository's LICENSE beside the package (npm pack runs this as `prepack`).
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

import { assertExactDependencies, copyLicense, externalPackages, importedPackages, ROOT } from '../../../tools/scripts/package-files.mjs';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(packageRoot, 'dist');
// Workspace libraries other than the SDK are compiled in; the SDK is a published package of its own.
const inline = (specifier) => specifier.startsWith('@m2m-trust/') && !/^@m2m-trust\/sdk(?:\/|$)/.test(specifier);

rmSync(dist, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [join(packageRoot, 'src', 'main.ts')],
  outfile: join(dist, 'm2m.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The workspace path aliases, for the libraries compiled in.
  tsconfig: join(ROOT, 'tsconfig.base.json'),
  plugins: [externalPackages(inline)],
  metafile: true,
  logLevel: 'warning',
});
assertExactDependencies(packageRoot, importedPackages(result.metafile));
copyLicense(packageRoot);
process.stdout.write(`@m2m-trust/cli: built ${join(dist, 'm2m.cjs')}\n`);
