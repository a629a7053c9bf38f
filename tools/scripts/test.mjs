// The one test command (npm test): build, type-check, lint, every Jest tier
// in one run, then the Python SDK's pytest suite. Ends with the single line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
const run = (label, command, args) => {
  process.stdout.write(`\n== ${label}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  return result.status === 0;
};

let passed = 0;
let failed = 0;
const check = (label, ok) => {
  if (ok) passed++;
  else {
    failed++;
    process.stdout.write(`FAILED: ${label}\n`);
  }
};

check('build', run('build', process.execPath, [join(root, 'tools/scripts/build.mjs')]));
check('typecheck', run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']));
run('project graph (for the module-boundary lint rule)', bin('nx'), ['show', 'projects']);
check('lint', run('lint', bin('eslint'), ['.', '--max-warnings', '0']));

const results = join(root, 'tmp', 'jest-results.json');
mkdirSync(dirname(results), { recursive: true });
rmSync(results, { force: true });
run('jest: unit, integration, e2e', bin('jest'), ['--json', `--outputFile=${results}`, ...process.argv.slice(2)]);
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  if (report.numTotalTests === 0) failed++;
} catch {
  process.stdout.write('FAILED: jest wrote no results\n');
  failed++;
}

// The Python SDK's suite, in its own virtual environment, against the built server.
const junit = join(root, 'tmp', 'pytest-results.xml');
rmSync(junit, { force: true });
run('pytest: Python SDK (clients/python)', 'bash', [join(root, 'clients/python/run-tests.sh'), junit]);
try {
  const suites = [...readFileSync(junit, 'utf8').matchAll(/<testsuite\b[^>]*>/g)].map((m) => m[0]);
  if (suites.length === 0) throw new Error('no test suite in the report');
  const count = (tag, name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(tag)?.[1] ?? 0);
  for (const tag of suites) {
    const bad = count(tag, 'failures') + count(tag, 'errors');
    passed += count(tag, 'tests') - bad - count(tag, 'skipped');
    failed += bad + count(tag, 'skipped');
  }
} catch (error) {
  process.stdout.write(`FAILED: pytest wrote no results (${error.message})\n`);
  failed++;
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
