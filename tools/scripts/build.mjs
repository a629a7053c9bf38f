// Builds every app and lib into dist/ with swc (path aliases rewritten to
// relative requires), after a clean, so removed sources leave nothing behind.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(
  join(root, 'node_modules', '.bin', 'swc'),
  ['apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts,**/*.int-spec.ts', '--quiet'],
  { cwd: root, stdio: 'inherit' },
);
