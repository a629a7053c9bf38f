// Jest globalSetup: a directory where every test server's pid is recorded
// (tools/scripts/child-registry.cjs), inherited by the workers through the environment.
'use strict';
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  process.env.M2M_TEST_PID_DIR = mkdtempSync(join(tmpdir(), 'm2m-test-pids-'));
};
