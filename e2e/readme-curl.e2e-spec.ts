import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { type RunningServer, startServer } from './support/server';

const run = promisify(execFile);

/** The README's "The flow with curl" block, as written but for the server's port. */
function curlFlow(url: string): string {
  const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
  const section = /\n## The flow with curl\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  expect(blocks).toHaveLength(1);
  expect(blocks[0]).toContain('http://127.0.0.1:8080');
  return blocks[0]!.replaceAll('http://127.0.0.1:8080', url);
}

describe('README: the flow with curl, run as written, twice', () => {
  let server: RunningServer;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'm2m-readme-curl-'));
    // As after `npm start` in a clone: the generated admin key in ./data/admin-api-key.
    server = await startServer({ dataDir: join(workDir, 'data'), adminKey: null });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('registers, authenticates, revokes and audits a new device on every run, its private key readable by its owner only', async () => {
    const script = curlFlow(server.url);
    for (const attempt of [1, 2]) {
      const { stdout } = await run('bash', ['--norc', '-euo', 'pipefail', '-c', script], { cwd: workDir, env: { PATH: process.env['PATH'] ?? '', HOME: workDir } });
      // curl prints each answer without a final newline: they follow each other on one line.
      expect({ attempt, verified: /"verified":(\w+)/.exec(stdout)?.[1] }).toEqual({ attempt, verified: 'true' });
      expect(stdout).toContain('"status":"revoked"');
      expect(stdout).toContain('"bizStep":"decommissioning"');
      expect(stdout).not.toContain('"code":');
    }
    const keys = readdirSync(workDir).filter((name) => name.endsWith('.pem'));
    expect(keys).toHaveLength(2);
    for (const key of keys) expect((statSync(join(workDir, key)).mode & 0o777).toString(8)).toBe('600');
    // No stray nonce file left behind in the working directory.
    expect(readdirSync(workDir).sort()).toEqual(['data', ...keys].sort());
  });
});
