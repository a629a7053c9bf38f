#!/usr/bin/env node
// `npm install` links this as `m2m`. The CLI itself is compiled with the rest
// of the workspace into dist/ by `npm run build`, and npm links only bins
// inside the package: hence this hop.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../../dist/apps/cli/src/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(`m2m: ${main} is missing; run npm run build first\n`);
  process.exit(3);
}
await import(main);
