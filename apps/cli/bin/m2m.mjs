#!/usr/bin/env node
// The `m2m` command. The CLI is one bundled file, dist/m2m.cjs, built by
// scripts/build-package.mjs: by `npm run build` in the repository, and by
// `npm pack` (prepack) for the published package.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/m2m.cjs', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(`m2m: ${main} is missing; run npm run build first\n`);
  process.exit(3);
}
createRequire(import.meta.url)(main);
