// What a person starting and stopping the server sees: a busy port is one
// clear line and a non-zero exit before anything else starts; an unknown
// M2M_* variable is named (with the likely typo) by every process; logs are
// readable on a terminal (or with M2M_LOG_FORMAT=pretty) with a short banner,
// JSON otherwise; a stop is logged; an error answer's access line has its code.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { scaled } from '../../tools/jest/scale.cjs';
import { track } from '../../tools/scripts/child-registry.cjs';
import { freePort, mainOf } from '../../tools/scripts/cluster.cjs';
import { Api } from '../support/client';
import { logsOf, startLauncher, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/launcher';

const ADMIN_KEY = 'startup-admin-key-0123456789';
const LAUNCHER = resolve(__dirname, '../../tools/scripts/start-distributed.mjs');
/** A JSON log line, as a supervisor or log shipper reads it. */
const JSON_LINE = /^\{"level":/m;

interface Run {
  readonly code: number | string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (or kills it after `timeoutMs`), with `env` as its whole environment (plus PATH and HOME). */
function run(command: string, args: readonly string[], env: Record<string, string>, timeoutMs = scaled(60_000)): Promise<Run> {
  const child = track(spawn(command, args, { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? signal, stdout, stderr });
    }),
  );
}

/** Holds a loopback port, as another program would. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as { port: number }).port, server };
}

const release = (server: Server): Promise<void> => new Promise((done) => server.close(() => done()));

/**
 * Runs `node <main>` until `ready` shows in its output, runs `then`, stops it
 * with SIGTERM and returns everything it wrote once its pipes are closed. `terminal`: under a pseudo-terminal
 * (util-linux `script`), so its standard output is a TTY.
 */
async function runUntilReady(
  main: string,
  env: Record<string, string>,
  ready: RegExp,
  { terminal, then }: { terminal: boolean; then?: (output: string) => Promise<void> },
): Promise<string> {
  const assignments = Object.entries(env).map(([key, value]) => `${key}='${value}'`).join(' ');
  const base = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };
  // Under script, the shell prints its pid, then becomes node (exec): that pid is the one to stop.
  const child: ChildProcess = track(
    terminal
      ? spawn('script', ['-qec', `echo PID=$$; exec env ${assignments} '${process.execPath}' '${main}'`, '/dev/null'], { env: base, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [main], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  const deadline = Date.now() + scaled(60_000);
  try {
    while (!ready.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((wait) => setTimeout(wait, 100));
    if (then && ready.test(output)) await then(output);
  } finally {
    const pid = terminal ? Number(/PID=(\d+)/.exec(output)?.[1]) : child.pid;
    try {
      if (pid) process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), scaled(20_000));
    await exited;
    clearTimeout(killer);
  }
  if (!ready.test(output)) throw new Error(`not ready:\n${output}`);
  // eslint-disable-next-line no-control-regex
  return output.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '');
}

describe('starting and stopping', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-startup-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = (): Record<string, string> => ({ PORT: '0', M2M_DATA_DIR: dataDir, M2M_ADMIN_API_KEY: ADMIN_KEY });
  const embedded = (env: Record<string, string>) => run(process.execPath, [mainOf('gateway')], { ...base(), ...env });

  describe('a busy port', () => {
    it.each([
      ['HTTP', 'PORT'],
      ['gRPC', 'GRPC_PORT'],
    ])('%s: the embedded gateway says so in one line naming %s, before anything starts, and exits 1', async (what, variable) => {
      const { port, server } = await occupy();
      try {
        const result = await embedded({ [variable]: String(port) });
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`Cannot start: ${what} port ${port} on 127.0.0.1 is already in use by another process: stop it, or set ${variable} to a free port (0: any free port)\n`);
        expect(result.stdout).toBe('');
      } finally {
        await release(server);
      }
    });

    it('gRPC: a service says so the same way, after naming an unknown variable (with the likely typo)', async () => {
      const { port, server } = await occupy();
      try {
        const result = await run(process.execPath, [mainOf('registry-service')], {
          PORT: '0',
          GRPC_PORT: String(port),
          M2M_DATA_DIR: dataDir,
          M2M_ADMIN_API_KEY: ADMIN_KEY,
          M2M_DATABASE_URL: TEST_DATABASE_URL,
          M2M_KAFKA_BROKERS: TEST_KAFKA_BROKERS,
          M2M_LOCKOUT_TRESHOLD: '3',
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`Cannot start: gRPC port ${port} on 127.0.0.1 is already in use by another process: stop it, or set GRPC_PORT to a free port (0: any free port)\n`);
        const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(lines).toEqual([
          expect.objectContaining({
            level: 'warn',
            app: 'registry-service',
            variable: 'M2M_LOCKOUT_TRESHOLD',
            msg: 'unknown variable M2M_LOCKOUT_TRESHOLD (did you mean M2M_LOCKOUT_THRESHOLD?); it is ignored',
          }),
        ]);
      } finally {
        await release(server);
      }
    });

    it('start:distributed says so in one line before starting any process, and exits 1', async () => {
      const { port, server } = await occupy();
      try {
        const result = await run(process.execPath, [LAUNCHER], { PORT: String(port), M2M_DATA_DIR: dataDir, M2M_DATABASE_URL: TEST_DATABASE_URL, M2M_KAFKA_BROKERS: TEST_KAFKA_BROKERS });
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`[start:distributed] HTTP port ${port} on 127.0.0.1 is already in use by another process: stop it, or set PORT to a free port (0: any free port)\n`);
        expect(result.stdout).toBe('');
      } finally {
        await release(server);
      }
    });
  });

  describe('the embedded gateway', () => {
    it('logs JSON when its output is no terminal, names an unknown variable, logs the stop, and puts the error code in access lines', async () => {
      const output = await runUntilReady(mainOf('gateway'), { ...base(), M2M_AUDIENCE_URL: 'https://typo.example' }, /"msg":"listening"/, {
        terminal: false,
        then: async (sofar) => {
          const url = /"url":"(http:[^"]+)"/.exec(sofar)![1]!;
          expect((await new Api(url, ADMIN_KEY).get('/v1/devices/no-such-device')).status).toBe(404);
          expect((await new Api(url, null).get('/v1/devices')).status).toBe(401);
          expect((await new Api(url, ADMIN_KEY).post('/v1/devices', { deviceId: 'x' })).status).toBe(400);
        },
      });

      const lines = output.trim().split('\n');
      // Every line JSON but the generated key's block (none here: the key is given).
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      const logs = logsOf(output, 'gateway');
      expect(logs.filter((line) => line['level'] === 'warn' && String(line['msg']).startsWith('unknown variable'))).toEqual([
        expect.objectContaining({ variable: 'M2M_AUDIENCE_URL', msg: 'unknown variable M2M_AUDIENCE_URL (did you mean M2M_AUDIENCE?); it is ignored' }),
      ]);
      const access = logs.filter((line) => line['msg'] === 'request').map(({ route, status, code }) => ({ route, status, code }));
      expect(access).toEqual([
        { route: '/v1/devices/:deviceId', status: 404, code: 'DEVICE_NOT_FOUND' },
        { route: '/v1/devices', status: 401, code: 'UNAUTHORIZED' },
        { route: '/v1/devices', status: 400, code: 'VALIDATION_FAILED' },
      ]);
      expect(logs.filter((line) => ['stopping', 'stopped'].includes(String(line['msg'])))).toEqual([
        expect.objectContaining({ signal: 'SIGTERM', msg: 'stopping' }),
        expect.objectContaining({ signal: 'SIGTERM', msg: 'stopped' }),
      ]);
    });

    it('logs readable lines under M2M_LOG_FORMAT=pretty, with the banner, even with no terminal', async () => {
      const output = await runUntilReady(mainOf('gateway'), { ...base(), M2M_LOG_FORMAT: 'pretty' }, /m2m-trust is ready[\s\S]*Admin API key/, { terminal: false });
      expect(output).toMatch(/INFO: \(gateway\) listening/);
      expect(output).not.toMatch(JSON_LINE);
    });

    it('on a terminal: readable lines and a banner naming the API, gRPC, the docs, the OpenAPI document and the admin key; the stop logged', async () => {
      const output = await runUntilReady(mainOf('gateway'), base(), /m2m-trust is ready[\s\S]*Admin API key/, { terminal: true });
      expect(output).not.toMatch(JSON_LINE);
      const url = /HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(url).toBeDefined();
      expect(output).toMatch(/gRPC\s+127\.0\.0\.1:\d+ \(plaintext\)/);
      expect(output).toContain(`Docs           ${url}/docs`);
      expect(output).toContain(`OpenAPI        ${url}/openapi.json`);
      expect(output).toContain('Admin API key  from M2M_ADMIN_API_KEY');
      expect(output).toMatch(/INFO: \(gateway\) stopping.*"signal":"SIGTERM"/);
      expect(output).toMatch(/INFO: \(gateway\) stopped.*"signal":"SIGTERM"/);
    });

    it('on a terminal with M2M_LOG_FORMAT=json: JSON, no banner', async () => {
      const output = await runUntilReady(mainOf('gateway'), { ...base(), M2M_LOG_FORMAT: 'json' }, /"msg":"listening"/, { terminal: true });
      expect(output).toMatch(JSON_LINE);
      expect(output).not.toContain('m2m-trust is ready');
    });
  });

  describe('start:distributed', () => {
    it('shows its processes readable under M2M_LOG_FORMAT=pretty with a banner, names an unknown variable, passes error codes through to the access line, and logs the stop', async () => {
      const port = await freePort();
      const launcher = await startLauncher({ PORT: String(port), GRPC_PORT: String(await freePort()), M2M_DATA_DIR: dataDir, M2M_ADMIN_API_KEY: ADMIN_KEY, M2M_LOG_FORMAT: 'pretty', M2M_RATE_LIMITS: '0' });
      let code: number | string | null = null;
      try {
        // Answered by the audit service, passed through by the gateway.
        expect((await new Api(launcher.url, null).get('/epcis/events')).status).toBe(401);
      } finally {
        code = await launcher.stop();
      }
      expect(code).toBe(0);
      const output = launcher.output();
      expect(output).toContain('[start:distributed] warning: unknown variable M2M_RATE_LIMITS; it is ignored');
      expect(output).toContain('m2m-trust (distributed) is ready');
      expect(output).toContain(`HTTP API       http://127.0.0.1:${port}`);
      expect(output).not.toMatch(JSON_LINE);
      for (const app of ['gateway', 'registry-service', 'challenge-service', 'audit-service']) expect(output).toMatch(new RegExp(`INFO: \\(${app}\\) stopped`));
      expect(output).toMatch(/INFO: \(gateway\) request .*"status":401,"code":"UNAUTHORIZED"/);
      expect(output).toMatch(/INFO: \(audit-service\) request .*"status":401,"code":"UNAUTHORIZED"/);
    });
  });
});
