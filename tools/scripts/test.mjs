// The one test command (npm test): build, then type-check, lint, every Jest
// tier in one run and the Python SDK's pytest suite side by side. Ends with the
// single line CI reads: "N passed, N failed".
//
// What runs at once, and why (docs/testing.md): the build, PostgreSQL and Kafka
// coming up, and grpcurl's build (Go) at the start; after the build, the type-check,
// the lint and pytest (one server of its own) run beside Jest. They are mostly
// one core each, and Jest's end-to-end suites spend much of their time waiting
// for servers, Kafka and PostgreSQL, so the machine stays busy instead of idle.
// Their output is kept and printed, whole and in order, after Jest's.
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
const started = Date.now();
const seconds = (since) => `${Math.round((Date.now() - since) / 1000)} s`;

/**
 * Runs one step. Streamed: its output goes straight to ours. Kept: its output
 * is collected and printed by `report()`, so steps running at once never mix
 * their lines.
 */
function step(label, command, args, { kept = false, extraEnv = {} } = {}) {
  const since = Date.now();
  let output = '';
  if (!kept) process.stdout.write(`\n== ${label}\n`);
  const done = new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: kept ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: { ...env, ...extraEnv } });
    if (kept) {
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
    }
    child.once('error', (error) => {
      output += `${error.message}\n`;
      resolve(false);
    });
    child.once('close', (code) => resolve(code === 0));
  });
  return done.then((ok) => {
    const took = seconds(since);
    return {
      label,
      ok,
      report: () => {
        if (kept) process.stdout.write(`\n== ${label}\n${output}`);
        process.stdout.write(`-- ${label}: ${ok ? 'ok' : 'FAILED'} in ${took}\n`);
      },
    };
  });
}

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
let infraStarted = { postgres: false, kafka: false };
const stopInfra = () => down({ ...infraStarted, log: (line) => process.stdout.write(`infra: ${line}\n`) });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopInfra().finally(() => process.exit(130));
  });
}

const infraLog = [];
const infra = up({ log: (line) => infraLog.push(`infra: ${line}\n`) }).then(
  (result) => {
    infraStarted = result.started;
    return null;
  },
  (error) => {
    infraStarted = error.started ?? infraStarted;
    return error;
  },
);

// grpcurl (built from source with Go, a few minutes the first time) for the grpcurl suite, beside the build.
const grpcurl = step('grpcurl (tools/scripts/grpcurl.cjs)', process.execPath, [join(root, 'tools/scripts/grpcurl.cjs')], { kept: true });
// Schemathesis (PyPI, into a virtual environment under tmp/) for the fuzz suite, beside the build too.
const schemathesis = step('schemathesis (tools/scripts/schemathesis.cjs)', process.execPath, [join(root, 'tools/scripts/schemathesis.cjs')], { kept: true });

const build = await step('build', process.execPath, [join(root, 'tools/scripts/build.mjs')]);
build.report();
check('build', build.ok);

// Beside Jest: the type-check, the lint (after the project graph its module-boundary rule reads) and pytest.
const typecheck = step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { kept: true });
const lint = step('project graph (for the module-boundary lint rule)', bin('nx'), ['show', 'projects'], { kept: true }).then((graph) =>
  step('lint', bin('eslint'), ['.', '--max-warnings', '0'], { kept: true }).then((result) => ({
    ...result,
    report: () => {
      graph.report();
      result.report();
    },
  })),
);
const cycles = lint.then(() => step('module cycles (tools/scripts/module-cycles.mjs)', process.execPath, [join(root, 'tools/scripts/module-cycles.mjs')], { kept: true }));
const junit = join(root, 'tmp', 'pytest-results.xml');
rmSync(junit, { force: true });
const pytest = step('pytest: Python SDK (clients/python)', 'bash', [join(root, 'clients/python/run-tests.sh'), junit], { kept: true });

const infraError = await infra;
// The grpcurl suite builds it itself when this failed, and reports why.
(await grpcurl).report();
(await schemathesis).report();
process.stdout.write(`\n== infrastructure: PostgreSQL and Kafka (tools/infra/infra.mjs)\n${infraLog.join('')}`);
if (infraError) {
  process.stdout.write(
    `${infraError.message}\nThe tests that need PostgreSQL or Kafka will fail. Try \`npm run infra:up\` on its own; see docs/infra.md.\n`,
  );
}
check('infrastructure (PostgreSQL on 127.0.0.1:55432, Kafka on 127.0.0.1:19092)', !infraError);

try {
  const results = join(root, 'tmp', 'jest-results.json');
  mkdirSync(dirname(results), { recursive: true });
  rmSync(results, { force: true });
  // Set even when the infrastructure failed: a test that needs it must fail, not skip.
  // Two workers even on two cores: most e2e suites wait on their servers, Kafka and PostgreSQL
  // rather than compute (docs/testing.md); `npm test -- --maxWorkers=1` runs them one by one.
  const jest = await step('jest: unit, integration, e2e', bin('jest'), ['--ci', '--maxWorkers=2', '--json', `--outputFile=${results}`, ...process.argv.slice(2)], {
    extraEnv: { M2M_TEST_DATABASE_URL: DATABASE_URL, M2M_TEST_KAFKA_BROKERS: KAFKA_BROKERS },
  });
  jest.report();
  try {
    const report = JSON.parse(readFileSync(results, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
    if (report.numTotalTests === 0) failed++;
  } catch {
    process.stdout.write('FAILED: jest wrote no results\n');
    failed++;
  }

  for (const result of [await typecheck, await lint, await cycles]) {
    result.report();
    check(result.label, result.ok);
  }

  const python = await pytest;
  python.report();
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
  if (infraStarted.postgres || infraStarted.kafka) {
    process.stdout.write('\n== infrastructure: stopping what this run started\n');
    await stopInfra().catch((error) => process.stdout.write(`infra: ${error.message}\n`));
  }
}

process.stdout.write(`\nnpm test took ${seconds(started)}\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
