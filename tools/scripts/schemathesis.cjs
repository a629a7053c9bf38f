// Schemathesis, the OpenAPI-driven fuzzer the fuzz suite runs (e2e/fuzz.e2e-spec.ts): installed from
// PyPI into a repo-local virtual environment under tmp/ (the version tools/fuzz/requirements.txt pins,
// reused across runs). `npm test` installs it at its start, beside the server's build, so the suite
// finds it ready; on its own: `node tools/scripts/schemathesis.cjs`.
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const REQUIREMENTS = resolve(__dirname, '..', 'fuzz', 'requirements.txt');
// One environment per requirements file: a changed pin gets a new one, never an upgrade in place.
const VENV = resolve(__dirname, '..', '..', 'tmp', 'schemathesis', createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 12));
const SCHEMATHESIS = join(VENV, 'bin', 'st');

/** Creates the environment once per checkout and returns the `st` executable; a failing install throws. */
function installSchemathesis() {
  // Written last: an install cut short is started over, never used half-done.
  const complete = join(VENV, '.complete');
  if (existsSync(complete)) return SCHEMATHESIS;
  rmSync(VENV, { recursive: true, force: true });
  const quiet = { stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000, env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' } };
  try {
    // In place: a virtual environment's scripts name its own path, so it cannot be built elsewhere and moved.
    execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', VENV], quiet);
    execFileSync(join(VENV, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS], quiet);
    writeFileSync(complete, '');
  } catch (error) {
    rmSync(VENV, { recursive: true, force: true });
    throw error;
  }
  return SCHEMATHESIS;
}

module.exports = { SCHEMATHESIS, installSchemathesis };

if (require.main === module) process.stdout.write(`schemathesis: ${installSchemathesis()}\n`);
