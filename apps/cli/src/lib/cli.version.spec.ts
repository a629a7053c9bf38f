import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { cliVersion } from './cli.version';

describe('cliVersion', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'm2m-version-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = (path: string, content: object): void => {
    mkdirSync(resolve(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify(content));
  };

  it("reads the CLI package's own version from its sources", () => {
    const { version } = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(cliVersion(__dirname)).toBe(version);
  });

  it('reads it in an installed package, wherever the code sits in it', () => {
    manifest(join(dir, 'node_modules/@m2m-trust/cli/package.json'), { name: '@m2m-trust/cli', version: '1.2.3', bin: { m2m: 'bin/m2m.mjs' } });
    // The project that installed it is no answer, even with a version of its own.
    manifest(join(dir, 'package.json'), { name: 'my-plant', version: '9.9.9' });
    expect(cliVersion(join(dir, 'node_modules/@m2m-trust/cli/dist/src/lib'))).toBe('1.2.3');
  });

  it('reads it in a workspace build, from apps/cli beside dist/', () => {
    manifest(join(dir, 'package.json'), { name: 'm2m-trust', version: '0.0.1' });
    manifest(join(dir, 'apps/cli/package.json'), { name: '@m2m-trust/cli', version: '4.5.6' });
    expect(cliVersion(join(dir, 'dist/apps/cli/src'))).toBe('4.5.6');
  });

  it('fails, naming the package, when there is none', () => {
    manifest(join(dir, 'package.json'), { name: 'other', version: '1.0.0' });
    expect(() => cliVersion(join(dir, 'lib'))).toThrow(/@m2m-trust\/cli/);
  });
});
