// Jest globalTeardown: kills any test server a worker could not stop (a worker
// that crashed, or was ended by --forceExit while a start was still under way).
'use strict';
const { rmSync } = require('node:fs');

const { killRecorded } = require('../scripts/child-registry.cjs');

module.exports = async () => {
  const dir = process.env.M2M_TEST_PID_DIR;
  if (!dir) return;
  const killed = killRecorded(dir);
  if (killed.length > 0) process.stderr.write(`jest teardown: killed ${killed.length} leftover server process(es): ${killed.join(', ')}\n`);
  rmSync(dir, { recursive: true, force: true });
};
