// The one test command (npm test): build, type-check, lint, then every test
// tier in one Jest run. Ends with the single line CI reads: "N passed, N failed".
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

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
