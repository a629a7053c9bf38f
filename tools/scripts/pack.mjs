// `npm run pack [-- --out DIR]`: the installable artefacts of the three
// clients in one folder (default dist/packages):
//   m2m-trust-sdk-<v>.tgz, m2m-trust-cli-<v>.tgz   npm pack (each package's prepack builds it)
//   m2m_trust-<v>-py3-none-any.whl, m2m_trust-<v>.tar.gz   python -m build, in a throwaway venv
// PYTHON names the interpreter (default python3, 3.9+); `build` and hatchling come from PyPI.
// --prebuilt packs the npm packages as `npm run build` left them, without
// rebuilding them in place: the packages test runs beside suites that use them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT } from './package-files.mjs';

const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist', 'packages') }, prebuilt: { type: 'boolean', default: false } } });
const out = resolve(values.out);
const run = (command, args, options = {}) => execFileSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], ...options });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const noBuild = values.prebuilt ? ['--ignore-scripts'] : [];
run(npm, ['pack', ...noBuild, '--workspace', 'libs/sdk', '--workspace', 'apps/cli', '--pack-destination', out, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });

const python = join(ROOT, 'clients', 'python');
const venv = mkdtempSync(join(tmpdir(), 'm2m-pack-venv-'));
try {
  run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  const venvPython = join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  const pipEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  run(venvPython, ['-m', 'pip', 'install', '--quiet', 'build>=1.2'], { env: pipEnv });
  copyFileSync(join(ROOT, 'LICENSE'), join(python, 'LICENSE'));
  // The sdist first, then the wheel built from it: what an install from the sdist does.
  run(venvPython, ['-m', 'build', '--outdir', out, python], { env: pipEnv, stdio: ['ignore', 'ignore', 'inherit'] });
} finally {
  rmSync(venv, { recursive: true, force: true });
}

const files = readdirSync(out).sort();
const expected = [/^m2m-trust-cli-.+\.tgz$/, /^m2m-trust-sdk-.+\.tgz$/, /^m2m_trust-.+-py3-none-any\.whl$/, /^m2m_trust-.+\.tar\.gz$/];
if (files.length !== expected.length || !expected.every((pattern) => files.some((file) => pattern.test(file)))) {
  throw new Error(`pack: expected two .tgz, one .whl and one .tar.gz in ${out}, found ${files.join(', ')}`);
}
process.stdout.write(`${files.map((file) => join(out, file)).join('\n')}\n`);
