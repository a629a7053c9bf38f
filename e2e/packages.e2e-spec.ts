import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

import { scaled } from '../tools/jest/scale.cjs';
import { type RunningServer, startServer } from './support/server';

// The three clients as a user gets them: `npm run pack` builds the two npm
// tarballs, the wheel and the sdist; they are installed into empty folders
// and virtual environments outside the repository (npm and PyPI supply the
// dependencies), and the README's "Clients" examples run there, as written,
// against a real server. This is the one test that runs those examples.

const ROOT = resolve(__dirname, '..');
const PYTHON = process.env['PYTHON'] ?? 'python3';
const run = promisify(execFile);

// Nothing of the repository's npm context leaks into the user's shell: npm_* (npm_config_local_prefix…) and NODE_PATH.
const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'NODE_PATH')),
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  PIP_NO_INPUT: '1',
  ...extra,
});

/** The fenced blocks of one language in the README's "Clients" section, as written. */
function clientBlocks(language: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /\n## Clients\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
}

const inside = (dir: string, path: string): boolean => realpathSync(path).startsWith(realpathSync(dir) + sep);

describe('the packed clients, installed outside the repository', () => {
  let server: RunningServer | undefined;
  let scratch: string;
  let packages: string;
  let npmProject: string;
  let venv: string;
  let env: NodeJS.ProcessEnv;
  const artefact = (pattern: RegExp): string => join(packages, readdirSync(packages).find((name) => pattern.test(name)) ?? `missing ${pattern}`);
  const venvPython = (dir: string): string => join(dir, 'bin', 'python');

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'm2m-packages-'));
    packages = join(scratch, 'packages');
    npmProject = join(scratch, 'npm-project');
    venv = join(scratch, 'venv');
    // Builds, then installs from the registries: minutes on a slow machine.
    // As `npm run build` built them (--prebuilt): rebuilding them in place would pull them from under suites running beside this one.
    await run(process.execPath, [join(ROOT, 'tools', 'scripts', 'pack.mjs'), '--out', packages, '--prebuilt'], { cwd: ROOT, env: cleanEnv({}), maxBuffer: 64 << 20 });

    const quiet = { env: cleanEnv({}), maxBuffer: 64 << 20 };
    mkdirSync(npmProject);
    writeFileSync(join(npmProject, 'package.json'), `${JSON.stringify({ name: 'm2m-readme-user', private: true }, null, 2)}\n`);
    // The CLI depends on @m2m-trust/sdk at its own version; until that is on the registry, the SDK tarball comes along.
    await run('npm', ['install', '--no-audit', '--no-fund', artefact(/^m2m-trust-sdk-.+\.tgz$/), artefact(/^m2m-trust-cli-.+\.tgz$/)], { ...quiet, cwd: npmProject });
    await run(PYTHON, ['-m', 'venv', venv], quiet);
    await run(venvPython(venv), ['-m', 'pip', 'install', '--quiet', artefact(/\.whl$/)], quiet);

    server = await startServer();
    env = cleanEnv({ M2M_URL: server.url, M2M_API_KEY: server.adminKey });
  }, scaled(1_200_000));

  afterAll(async () => {
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('builds two npm tarballs with LICENSE, README and built code, a wheel and an sdist', async () => {
    expect(readdirSync(packages).sort()).toEqual([
      expect.stringMatching(/^m2m-trust-cli-0\.1\.0\.tgz$/),
      expect.stringMatching(/^m2m-trust-sdk-0\.1\.0\.tgz$/),
      expect.stringMatching(/^m2m_trust-0\.1\.0-py3-none-any\.whl$/),
      expect.stringMatching(/^m2m_trust-0\.1\.0\.tar\.gz$/),
    ]);
    const sdk = join(npmProject, 'node_modules', '@m2m-trust', 'sdk');
    const cli = join(npmProject, 'node_modules', '@m2m-trust', 'cli');
    for (const dir of [sdk, cli]) {
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# /);
    }
    expect(readdirSync(join(sdk, 'dist', 'esm'))).toEqual(expect.arrayContaining(['index.js', 'index.d.ts']));
    expect(readdirSync(join(sdk, 'dist', 'cjs'))).toEqual(expect.arrayContaining(['index.js', 'index.d.ts']));
    // The CLI needs no workspace library: everything it imports is a declared dependency.
    const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@m2m-trust/'))).toEqual(['@m2m-trust/sdk']);
    const { stdout: wheelFiles } = await run(venvPython(venv), ['-c', 'import importlib.metadata as m; print("\\n".join(str(f) for f in m.files("m2m-trust")))'], { env });
    expect(wheelFiles).toMatch(/licenses\/LICENSE/);
  });

  it('resolves every client from the install, not from the repository', async () => {
    const { stdout: cjs } = await run(process.execPath, ['-p', "require.resolve('@m2m-trust/sdk')"], { env, cwd: npmProject });
    const { stdout: esm } = await run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('@m2m-trust/sdk'))"], { env, cwd: npmProject });
    const { stdout: sdkOfCli } = await run(process.execPath, ['-p', "require.resolve('@m2m-trust/sdk', { paths: [require.resolve('@m2m-trust/cli/package.json')] })"], { env, cwd: npmProject });
    expect(inside(npmProject, cjs.trim())).toBe(true);
    expect(cjs.trim()).toMatch(/dist[/\\]cjs[/\\]index\.js$/);
    expect(inside(npmProject, new URL(esm.trim()).pathname)).toBe(true);
    expect(esm.trim()).toMatch(/dist\/esm\/index\.js$/);
    expect(inside(npmProject, sdkOfCli.trim())).toBe(true);
    expect(inside(npmProject, join(npmProject, 'node_modules', '.bin', 'm2m'))).toBe(true);
    const { stdout: python } = await run(venvPython(venv), ['-c', 'import m2m_trust; print(m2m_trust.__file__)'], { env, cwd: scratch });
    expect(inside(venv, python.trim())).toBe(true);
  });

  it('has one TypeScript, one Python and the CLI example', () => {
    expect(clientBlocks('js')).toHaveLength(1);
    expect(clientBlocks('python')).toHaveLength(1);
    expect(clientBlocks('sh')).toHaveLength(3); // install, environment, CLI
  });

  it('runs the TypeScript SDK example', async () => {
    const file = join(npmProject, 'demo.mjs');
    writeFileSync(file, clientBlocks('js')[0]!);
    const { stdout } = await run(process.execPath, [file], { env, cwd: npmProject });
    expect(stdout.split('\n').filter(Boolean)).toEqual(['active true', 'ADD commissioning', 'OBSERVE inspecting', 'DELETE decommissioning']);
  });

  it('runs the CLI example: register, authenticate, revoke, audit, then refused', async () => {
    const script = clientBlocks('sh').at(-1)!;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { env, cwd: npmProject });
    expect(stdout).toMatch(/verified/i);
    expect(stdout).toMatch(/commissioning/);
    expect(stdout).toMatch(/decommissioning/);
    expect(stdout).toMatch(/refused after revocation: exit 1/);
  });

  it('runs the Python SDK example from the wheel', async () => {
    const file = join(scratch, 'demo.py');
    writeFileSync(file, clientBlocks('python')[0]!);
    const { stdout } = await run(venvPython(venv), [file], { env, cwd: scratch });
    expect(stdout.split('\n').filter(Boolean)).toEqual(['True', "['commissioning', 'inspecting']"]);
  });

  it('installs the sdist too, and it works the same', async () => {
    const sdistVenv = join(scratch, 'venv-sdist');
    await run(PYTHON, ['-m', 'venv', sdistVenv], { env });
    await run(venvPython(sdistVenv), ['-m', 'pip', 'install', '--quiet', artefact(/\.tar\.gz$/)], { env, maxBuffer: 64 << 20 });
    const file = join(scratch, 'demo.py');
    writeFileSync(file, clientBlocks('python')[0]!);
    const { stdout } = await run(venvPython(sdistVenv), [file], { env, cwd: scratch });
    expect(stdout.split('\n').filter(Boolean)).toEqual(['True', "['commissioning', 'inspecting']"]);
    const { stdout: where } = await run(venvPython(sdistVenv), ['-c', 'import m2m_trust; print(m2m_trust.__file__)'], { env, cwd: scratch });
    expect(inside(sdistVenv, where.trim())).toBe(true);
  }, scaled(600_000));
});
