#!/usr/bin/env node
import { homedir } from 'node:os';

import { runCli } from './lib/cli.runner';

// The composition root: the one place that touches `process`.

// `m2m audit query | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  homeDir: homedir(),
  cwd: process.cwd(),
  terminal: process.stderr.isTTY ? process.stderr : undefined,
  moduleDir: __dirname,
}).then((code) => {
  // exitCode, not exit(): output still being flushed to a pipe is not cut off.
  process.exitCode = code;
});
