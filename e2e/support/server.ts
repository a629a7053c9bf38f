import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { GENEROUS_RATE_LIMITS } from '../../tools/scripts/cluster.cjs';

const MAIN = resolve(__dirname, '../../dist/apps/gateway/src/main.js');

export interface RunningServer {
  readonly url: string;
  readonly dataDir: string;
  readonly adminKey: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code, or the signal's name when the process ended by one. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export const newDataDir = (): string => mkdtempSync(join(tmpdir(), 'm2m-e2e-'));

/** Starts the built gateway as a real process on a free loopback port and waits until it listens. */
export async function startServer(options: { dataDir?: string; env?: Record<string, string>; adminKey?: string | null } = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? newDataDir();
  const adminKey = options.adminKey === undefined ? `test-admin-key-${Math.random().toString(36).slice(2)}-0123456789` : options.adminKey;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    M2M_DATA_DIR: dataDir,
    M2M_LOG_LEVEL: 'info',
    // Suites authenticate thousands of times from one address; a suite about the limits sets its own.
    ...GENEROUS_RATE_LIMITS,
    ...(adminKey ? { M2M_ADMIN_API_KEY: adminKey } : {}),
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((done) => child.once('exit', (code, signal) => done(code ?? signal)));

  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in time:\n${output}`)), 20_000);
    const poll = setInterval(() => {
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        done(match[1] as string);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      fail(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    url,
    dataDir,
    adminKey: adminKey ?? '',
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
