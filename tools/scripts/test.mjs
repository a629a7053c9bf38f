// The one test command (npm test): build, type-check, lint, every Jest tier
// in one run, then the Python SDK's pytest suite. Ends with the single line CI reads: "N passed, N failed".
//
// Integration and end-to-end tests of distributed mode need PostgreSQL and Kafka: they come up
// (tools/infra/infra.mjs; running ones are reused) while the build runs, reach Jest and pytest as
// M2M_TEST_DATABASE_URL and M2M_TEST_KAFKA_BROKERS, and whatever this run started stops at the end.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DATABASE_URL, KAFKA_BROKERS, down, up } from '../infra/infra.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
// Asynchronous, so that bringing the infrastructure up overlaps the build.
const run = (label, command, args) =>
  new Promise((done) => {
    process.stdout.write(`\n== ${label}\n`);
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
    child.once('error', (error) => {
      process.stdout.write(`${error.message}\n`);
      done(false);
    });
    child.once('close', (code) => done(code === 0));
  });

let passed = 0;
let failed = 0;
const check = (label, ok) => {
  if (ok) passed++;
  else {
    failed++;
    process.stdout.write(`FAILED: ${label}\n`);
  }
};

// Stop only what this run started, also when it is interrupted.
let started = { postgres: false, kafka: false };
const stopInfra = () => down({ ...started, log: (line) => process.stdout.write(`infra: ${line}\n`) });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopInfra().finally(() => process.exit(130));
  });
}

const infra = up({ log: (line) => process.stdout.write(`infra: ${line}\n`) }).then(
  (result) => {
    started = result.started;
    return null;
  },
  (error) => {
    started = error.started ?? started;
    return error;
  },
);

check('build', await run('build', process.execPath, [join(root, 'tools/scripts/build.mjs')]));
check('typecheck', await run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']));
await run('project graph (for the module-boundary lint rule)', bin('nx'), ['show', 'projects']);
check('lint', await run('lint', bin('eslint'), ['.', '--max-warnings', '0']));

process.stdout.write('\n== infrastructure: PostgreSQL and Kafka (tools/infra/infra.mjs)\n');
const infraError = await infra;
if (infraError) {
  process.stdout.write(
    `${infraError.message}\nThe tests that need PostgreSQL or Kafka will fail. Try \`npm run infra:up\` on its own; see docs/infra.md.\n`,
  );
}
check('infrastructure (PostgreSQL on 127.0.0.1:55432, Kafka on 127.0.0.1:19092)', !infraError);
// Set even when the infrastructure failed: a test that needs it must fail, not skip.
env.M2M_TEST_DATABASE_URL = DATABASE_URL;
env.M2M_TEST_KAFKA_BROKERS = KAFKA_BROKERS;

try {
  const results = join(root, 'tmp', 'jest-results.json');
  mkdirSync(dirname(results), { recursive: true });
  rmSync(results, { force: true });
  await run('jest: unit, integration, e2e', bin('jest'), ['--json', `--outputFile=${results}`, ...process.argv.slice(2)]);
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
  await run('pytest: Python SDK (clients/python)', 'bash', [join(root, 'clients/python/run-tests.sh'), junit]);
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
} finally {
  if (started.postgres || started.kafka) {
    process.stdout.write('\n== infrastructure: stopping what this run started\n');
    await stopInfra().catch((error) => process.stdout.write(`infra: ${error.message}\n`));
  }
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
