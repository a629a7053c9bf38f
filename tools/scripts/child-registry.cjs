// Every server process that tests (and the launchers they use) start, so that
// none outlives its test file or the test run, however that ends:
// - track(child) at spawn time, not once the server answers: a start that
//   times out in a beforeAll still leaves a process behind;
// - stopAll() in the test environment's teardown (tools/jest/environment.cjs),
//   after every hook of the file, stops what that file started and is still
//   running, and kills at once any process the file's code starts after that;
// - each tracked pid is also written to M2M_TEST_PID_DIR (set by the run's
//   globalSetup), and killRecorded() in globalTeardown kills what a crashed or
//   force-exited Jest worker could not stop itself.
'use strict';
const { readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const live = new Set();
let closed = false;

const running = (child) => child.exitCode === null && child.signalCode === null;

/** Registers a freshly spawned child process; returns it. */
function track(child) {
  if (closed) {
    // Started by a test file whose cleanup already ran (a start that outlived its beforeAll's timeout).
    child.kill('SIGKILL');
    return child;
  }
  live.add(child);
  const dir = process.env.M2M_TEST_PID_DIR;
  let file = null;
  if (dir && child.pid) {
    file = join(dir, String(child.pid));
    // Its command line, so teardown never kills an unrelated process that reused the pid.
    writeFileSync(file, child.spawnargs.join('\0'));
  }
  child.once('exit', () => {
    live.delete(child);
    if (file) rmSync(file, { force: true });
  });
  return child;
}

/** Stops every tracked child still running: SIGTERM, then SIGKILL after `graceMs`. Resolves with how many there were. */
async function stopAll({ graceMs = 5_000, close = false } = {}) {
  if (close) closed = true;
  const children = [...live].filter(running);
  await Promise.all(
    children.map(
      (child) =>
        new Promise((done) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  return children.length;
}

/** Kills every process recorded in `dir` that still runs the recorded command line; returns their pids. */
function killRecorded(dir) {
  const killed = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return killed;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      const recorded = readFileSync(join(dir, entry), 'utf8');
      const actual = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '');
      if (actual === recorded) {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      }
    } catch {
      // Gone already, or not ours.
    }
  }
  return killed;
}

module.exports = { track, stopAll, killRecorded };
// Under Jest this module lives in the test file's context; its environment finds it here at teardown.
globalThis.__M2M_CHILD_REGISTRY__ = module.exports;
