import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { type RunningServer, startServer } from './support/server';

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);

/** The fenced blocks of one language in the README's "Clients" section, as written. */
function clientBlocks(language: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /\n## Clients\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
}

describe('README client examples, run as written', () => {
  let server: RunningServer;
  let workDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await startServer();
    // Inside the repository, so `@m2m-trust/sdk` and `npx m2m` resolve as they do for a user of the workspace.
    workDir = join(ROOT, 'tmp', `readme-${process.pid}`);
    mkdirSync(workDir, { recursive: true });
    env = { ...process.env, M2M_URL: server.url, M2M_API_KEY: server.adminKey };
  });
  afterAll(() => server.stop());

  it('has one TypeScript, one Python and the CLI example', () => {
    expect(clientBlocks('js')).toHaveLength(1);
    expect(clientBlocks('python')).toHaveLength(1);
    expect(clientBlocks('sh')).toHaveLength(2);
  });

  it('runs the TypeScript SDK example', async () => {
    const file = join(workDir, 'demo.mjs');
    writeFileSync(file, clientBlocks('js')[0]!);
    const { stdout } = await run(process.execPath, [file], { env, cwd: workDir });
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      'active true',
      'ADD commissioning',
      'OBSERVE inspecting',
      'DELETE decommissioning',
    ]);
  });

  it('runs the CLI example: register, authenticate, revoke, audit, then refused', async () => {
    const script = clientBlocks('sh')[1]!;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { env, cwd: workDir });
    expect(stdout).toMatch(/verified/i);
    expect(stdout).toMatch(/commissioning/);
    expect(stdout).toMatch(/decommissioning/);
    expect(stdout).toMatch(/refused after revocation: exit 1/);
  });
});
