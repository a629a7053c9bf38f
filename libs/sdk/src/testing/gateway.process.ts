import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The same start as e2e/support/server.ts (which lint keeps libs from
// importing): the built gateway as a real process, on a free loopback port.
const GATEWAY_MAIN = resolve(__dirname, '../../../../dist/apps/gateway/src/main.js');

export interface StartGatewayOptions {
  /** M2M_AUDIENCE, bound into every challenge (default `https://m2m.sdk.test`); null leaves it unset, so the service names itself by its listening URL. */
  readonly audience?: string | null;
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningGateway {
  readonly url: string;
  readonly audience: string;
  readonly adminKey: string;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-sdk-'));
  const adminKey = `sdk-test-admin-key-${Math.random().toString(36).slice(2)}-0123456789`;
  const audience = options.audience === undefined ? 'https://m2m.sdk.test' : options.audience;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    M2M_DATA_DIR: dataDir,
    M2M_LOG_LEVEL: 'info',
    M2M_ADMIN_API_KEY: adminKey,
    // Test suites authenticate many times from one loopback address; the limits have suites of their own.
    M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
    M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '0',
    M2M_RATE_LIMIT_API_KEY_PER_MINUTE: '0',
    ...(audience === null ? {} : { M2M_AUDIENCE: audience }),
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [GATEWAY_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`gateway did not start in time (run npm run build first):\n${output}`)), 20_000);
    const poll = setInterval(() => {
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        done(match[1] as string);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(poll);
      clearTimeout(timer);
      fail(new Error(`gateway exited before listening (run npm run build first):\n${output}`));
    });
  });

  return {
    url,
    audience: audience ?? url,
    adminKey,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
