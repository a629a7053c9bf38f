// Builds every app and lib into dist/ with swc (path aliases rewritten to
// relative requires), after a clean, so removed sources leave nothing behind.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
// The SDK's and the CLI's package outputs live in libs/ and apps/: remove them before swc walks those, which would compile them again.
rmSync(join(root, 'libs', 'sdk', 'dist'), { recursive: true, force: true });
rmSync(join(root, 'apps', 'cli', 'dist'), { recursive: true, force: true });
// The gRPC API: its TypeScript types from the .proto files (before swc compiles them), and the .proto files the server loads at run time.
execFileSync(process.execPath, [join(root, 'libs', 'shared', 'proto', 'scripts', 'generate-types.mjs'), '--dist', join(root, 'dist')], { cwd: root, stdio: 'inherit' });
execFileSync(
  join(root, 'node_modules', '.bin', 'swc'),
  ['apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts,**/*.int-spec.ts', '--quiet'],
  { cwd: root, stdio: 'inherit' },
);
// @m2m-trust/sdk as a publishable package: ESM + CJS with declarations in libs/sdk/dist.
execFileSync(process.execPath, [join(root, 'libs', 'sdk', 'scripts', 'build-package.mjs')], { cwd: root, stdio: 'inherit' });
// @m2m-trust/cli as a publishable package, which `npx m2m` runs too: one bundled file in apps/cli/dist.
execFileSync(process.execPath, [join(root, 'apps', 'cli', 'scripts', 'build-package.mjs')], { cwd: root, stdio: 'inherit' });
