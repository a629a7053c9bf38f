// grpcurl, the gRPC command line client the grpcurl suite drives (e2e/grpcurl.e2e-spec.ts):
// built from source with Go into a repo-local GOBIN under tmp/ (pinned version,
// reused across runs). `npm test` builds it at its start, beside the server's
// build, so the suite finds it ready; run on its own: `node tools/scripts/grpcurl.cjs`.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { delimiter, join, resolve } = require('node:path');

const GRPCURL_VERSION = 'v1.9.3';
const GRPCURL_DIR = resolve(__dirname, '..', '..', 'tmp', 'grpcurl', GRPCURL_VERSION);
const GRPCURL = join(GRPCURL_DIR, 'grpcurl');

/** The go binary: Go's default install location, then PATH; null without Go. */
function findGo() {
  const candidates = ['/usr/local/go/bin/go', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'go'))];
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

/** Builds grpcurl once per checkout and returns its path; a failing build throws. */
function installGrpcurl(go) {
  if (existsSync(GRPCURL)) return GRPCURL;
  const staging = `${GRPCURL_DIR}.${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    execFileSync(go, ['install', `github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}`], {
      env: { ...process.env, GOBIN: staging },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 900_000,
    });
    // Whole or not at all: a run cut short never leaves a half-written binary where the next run looks.
    if (!existsSync(GRPCURL)) renameSync(staging, GRPCURL_DIR);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return GRPCURL;
}

module.exports = { GRPCURL, GRPCURL_VERSION, findGo, installGrpcurl };

if (require.main === module) {
  const go = findGo();
  if (go === null) {
    process.stdout.write('no go binary: the grpcurl suite will say so\n');
  } else {
    process.stdout.write(`grpcurl ${GRPCURL_VERSION}: ${installGrpcurl(go)}\n`);
  }
}
