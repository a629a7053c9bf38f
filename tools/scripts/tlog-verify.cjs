// tlog-verify (tools/tlog-verify): a short Go program on the transparency-dev
// reference libraries (formats' checkpoint parser and sumdb note verifier,
// merkle's RFC 6962 proof verification) that the audit-log suites run on what a
// real server answers. Built once per source version into tmp/ (the module
// cache fills from the Go proxy; go.sum pins it); run on its own:
// `node tools/scripts/tlog-verify.cjs`.
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');

const { findGo } = require('./grpcurl.cjs');

const SOURCE_DIR = resolve(__dirname, '..', 'tlog-verify');
const SOURCES = ['go.mod', 'go.sum', 'main.go'];

/** The binary's path for the current sources: a new build whenever they change. */
function tlogVerifyPath() {
  const hash = createHash('sha256');
  for (const file of SOURCES) hash.update(readFileSync(join(SOURCE_DIR, file)));
  return join(resolve(__dirname, '..', '..', 'tmp', 'tlog-verify', hash.digest('hex').slice(0, 16)), 'tlog-verify');
}

/** Builds tlog-verify once per source version and returns its path; a failing build throws. */
function installTlogVerify(go) {
  const binary = tlogVerifyPath();
  if (existsSync(binary)) return binary;
  const staging = `${binary}.${process.pid}`;
  mkdirSync(resolve(binary, '..'), { recursive: true });
  try {
    execFileSync(go, ['build', '-o', staging, '.'], {
      cwd: SOURCE_DIR,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 900_000,
    });
    // Whole or not at all: a run cut short never leaves a half-written binary where the next run looks.
    renameSync(staging, binary);
  } finally {
    rmSync(staging, { force: true });
  }
  return binary;
}

module.exports = { installTlogVerify, findGo };

if (require.main === module) {
  const go = findGo();
  if (go === null) process.stdout.write('no go binary: the audit-log proof suites will say so\n');
  else process.stdout.write(`tlog-verify: ${installTlogVerify(go)}\n`);
}
