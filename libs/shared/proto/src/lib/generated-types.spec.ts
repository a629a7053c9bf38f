import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { PROTO_LOADER_OPTIONS } from './m2m-proto';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'generate-types.mjs');
const CHECKED_IN = join(__dirname, '..', 'generated');

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();

describe('generated gRPC types (libs/shared/proto/src/generated)', () => {
  it('are what the generator makes of the .proto files today', () => {
    const out = mkdtempSync(join(tmpdir(), 'm2m-proto-types-'));
    try {
      execFileSync(process.execPath, [SCRIPT, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      expect(filesUnder(CHECKED_IN)).toEqual(filesUnder(out));
      for (const file of filesUnder(out)) {
        // A failure here: run `node libs/shared/proto/scripts/generate-types.mjs` (or npm run build) and commit the result.
        expect(`${file}:\n${readFileSync(join(CHECKED_IN, file), 'utf8')}`).toBe(`${file}:\n${readFileSync(join(out, file), 'utf8')}`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('were generated with the options the server loads the .proto files with', () => {
    const generatorOptions = JSON.parse(execFileSync(process.execPath, [SCRIPT, '--print-options'], { encoding: 'utf8' })) as Record<string, unknown>;
    const loaderOptions = Object.fromEntries(
      Object.entries(PROTO_LOADER_OPTIONS).map(([name, value]) => [name, typeof value === 'function' ? value.name : value]),
    );
    expect(generatorOptions).toEqual(loaderOptions);
  });
});
