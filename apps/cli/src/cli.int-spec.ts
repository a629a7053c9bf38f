import { type Device, type EpcisEvent } from '@m2m-trust/sdk';
import { type RunningGateway, startGateway } from '@m2m-trust/sdk/testing';

import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { CLI } from './testing/cli.process';

// The CLI as published (the bundle npm run build makes) as a child process against the built gateway:
// what an operator's shell or script sees, exit codes included.



interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let gateway: RunningGateway;
let workDir: string;
/** Everything the CLI printed in this file: checked for secrets at the end. */
const transcript: string[] = [];
let counter = 0;
const newDeviceId = (): string => `cli-${process.pid}-${Date.now().toString(36)}-${counter++}`;

beforeAll(async () => {
  gateway = await startGateway();
  workDir = mkdtempSync(join(tmpdir(), 'm2m-cli-int-'));
});
afterAll(async () => {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs `m2m …` with the operator's environment (overridable) and a HOME of its own, so no real config file is read. */
function m2m(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = {
    PATH: process.env['PATH'],
    HOME: workDir,
    M2M_URL: gateway.url,
    M2M_API_KEY: gateway.adminKey,
    M2M_AUDIENCE: gateway.audience,
    ...env,
  };
  const childEnv = Object.fromEntries(Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: workDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      transcript.push(stdout, stderr);
      done({ code, stdout, stderr });
    });
  });
}

const json = <T>(run: Run): T => {
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as T;
};

describe('m2m against the gateway', () => {
  it('keygen, register, list, get, auth, revoke, auth refused, audit', async () => {
    const deviceId = newDeviceId();
    const keyFile = join(workDir, `${deviceId}.pem`);

    const keygen = await m2m(['keygen', '--out', keyFile]);
    expect(keygen.code).toBe(0);
    const publicKey = keygen.stdout.trim();
    expect(publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=]+\n-----END PRIVATE KEY-----\n$/);

    const registered = await m2m(['devices', 'register', '--device', deviceId, '--key', keyFile, '--label', 'Floor scanner', '--json']);
    expect(registered.code).toBe(0);
    expect(json<Device>(registered)).toMatchObject({ deviceId, publicKey, label: 'Floor scanner', status: 'active' });

    const listed = await m2m(['devices', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(json<{ items: Device[]; nextCursor: null }>(listed).items.map((d) => d.deviceId)).toContain(deviceId);
    const table = await m2m(['devices', 'list', '--status', 'active']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^DEVICE ID\s+STATUS\s+CREATED/);
    expect(table.stdout).toMatch(new RegExp(`^${deviceId}\\s+active\\s`, 'm'));

    const got = await m2m(['devices', 'get', deviceId]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^public key:\\s+${publicKey}$`, 'm'));

    const auth = await m2m(['auth', '--device', deviceId, '--key', keyFile]);
    expect(auth).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^verified ${deviceId} at \\S+Z\\n$`)) });

    const revoked = await m2m(['devices', 'revoke', deviceId, '--reason', 'lost', '--json']);
    expect(revoked.code).toBe(0);
    expect(json<Device>(revoked)).toMatchObject({ status: 'revoked', revocationReason: 'lost' });

    const refused = await m2m(['auth', '--device', deviceId, '--key', keyFile]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('DEVICE_REVOKED');

    const audit = await m2m(['audit', 'query', '--device', deviceId, '--per-page', '1', '--json']);
    expect(audit.code).toBe(0);
    expect(json<EpcisEvent[]>(audit).map((e) => [e.action, e['m2m:actor']])).toEqual([
      ['ADD', 'api-key:admin'],
      ['OBSERVE', `device:${deviceId}`],
      ['DELETE', 'api-key:admin'],
      // The refused authentication of the revoked device: its challenge (a decoy, audited) and its verify.
      ['OBSERVE', `device:${deviceId}`],
      ['OBSERVE', `device:${deviceId}`],
    ]);
    const failures = await m2m(['audit', 'query', '--device', deviceId, '--action', 'DELETE', '--action', 'ADD']);
    expect(failures.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[1])).toEqual(['ADD', 'DELETE']);
  });

  it('registers a key given as PEM (pasted, a public key file, a private key file), and explains a wrong format', async () => {
    /** A fresh key pair: its private key file, its public key in hex, and as PEM. */
    const keyPair = async (): Promise<{ keyFile: string; publicKey: string; publicPem: string }> => {
      const keyFile = join(workDir, `${newDeviceId()}.pem`);
      const keygen = await m2m(['keygen', '--out', keyFile]);
      expect(keygen.code).toBe(0);
      const publicPem = createPublicKey(readFileSync(keyFile, 'utf8')).export({ format: 'pem', type: 'spki' }) as string;
      return { keyFile, publicKey: keygen.stdout.trim(), publicPem };
    };
    const pasted = await keyPair();
    const inFile = await keyPair();
    const publicFile = join(workDir, `${newDeviceId()}.pub.pem`);
    writeFileSync(publicFile, inFile.publicPem);
    const privateFile = await keyPair();

    for (const [given, publicKey] of [
      [pasted.publicPem, pasted.publicKey],
      [publicFile, inFile.publicKey],
      [privateFile.keyFile, privateFile.publicKey],
    ] as const) {
      const deviceId = newDeviceId();
      const registered = await m2m(['devices', 'register', '--device', deviceId, '--public-key', given, '--json']);
      expect(registered.code).toBe(0);
      expect(JSON.parse(registered.stdout)).toMatchObject({ deviceId, publicKey });
    }

    // Refused here, before any request: a private key on the command line, or not a key at all.
    const privateKey = await m2m(['devices', 'register', '--device', newDeviceId(), '--public-key', readFileSync(privateFile.keyFile, 'utf8')]);
    expect(privateKey).toMatchObject({ code: 2, stdout: '' });
    expect(privateKey.stderr).toContain('--public-key was given a private key: it was not sent');
    const deviceId = newDeviceId();
    const wrong = await m2m(['devices', 'register', '--device', deviceId, '--public-key', pasted.publicKey.slice(0, 40)]);
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toContain('give the raw 32-byte Ed25519 public key as 64 hex characters');
    expect(wrong.stderr).toContain('openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64');
    expect((await m2m(['devices', 'get', deviceId])).code).toBe(1);

    // Right format, but no point of the curve: the service refuses it, with the same advice.
    const notAPoint = await m2m(['devices', 'register', '--device', deviceId, '--public-key', `ed${'ff'.repeat(30)}7f`]);
    expect(notAPoint.code).toBe(1);
    expect(notAPoint.stderr).toContain('INVALID_PUBLIC_KEY');
    expect(notAPoint.stderr).toContain('openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64');
  });

  it('prints its version, and completion scripts for bash, zsh and fish', async () => {
    const { version } = JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')) as { version: string };
    expect(await m2m(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    for (const shell of ['bash', 'zsh', 'fish']) {
      const script = await m2m(['completion', shell]);
      expect({ shell, code: script.code, stderr: script.stderr }).toEqual({ shell, code: 0, stderr: '' });
      expect(script.stdout).toContain('devices');
    }
  });

  it('exits 1 when the device is not verified, with the reason', async () => {
    const deviceId = newDeviceId();
    const registeredKey = join(workDir, `${deviceId}.pem`);
    const otherKey = join(workDir, `${deviceId}-other.pem`);
    await m2m(['keygen', '--out', registeredKey]);
    await m2m(['keygen', '--out', otherKey]);
    expect((await m2m(['devices', 'register', '--device', deviceId, '--key', registeredKey])).code).toBe(0);

    const wrongKey = await m2m(['auth', '--device', deviceId, '--key', otherKey, '--json']);
    expect(wrongKey.code).toBe(1);
    expect(json(wrongKey)).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });

    // A service naming another audience: the device refuses to sign at all.
    const audience = await m2m(['auth', '--device', deviceId, '--key', registeredKey, '--audience', 'https://impostor.example']);
    expect(audience.code).toBe(1);
    expect(audience.stderr).toContain('WRONG_AUDIENCE');
  });

  it('exits 1 on refusals, with the code and request id', async () => {
    const missing = await m2m(['devices', 'get', 'no-such-device']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DEVICE_NOT_FOUND \(404\)[\s\S]*request id: \S+/);

    const wrongKey = await m2m(['devices', 'list', '--json'], { M2M_API_KEY: 'not-the-admin-key-0123456789' });
    expect(wrongKey.code).toBe(1);
    expect(JSON.parse(wrongKey.stderr)).toMatchObject({ error: { code: 'UNAUTHORIZED', status: 401, requestId: expect.any(String) } });
  });

  it('exits 2 on bad usage without calling the service', async () => {
    for (const args of [[], ['devices', 'frobnicate'], ['devices', 'list', '--bogus'], ['keygen'], ['audit', 'export']]) {
      const run = await m2m(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stdout).toBe('');
    }
    const help = await m2m(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  it('exits 3 without configuration or a reachable service', async () => {
    expect((await m2m(['devices', 'list'], { M2M_API_KEY: undefined })).code).toBe(3);
    expect((await m2m(['devices', 'list'], { M2M_URL: undefined })).code).toBe(3);
    expect((await m2m(['devices', 'list', '--timeout', '2000'], { M2M_URL: 'http://127.0.0.1:9' })).code).toBe(3);
    const existing = join(workDir, 'exists.pem');
    expect((await m2m(['keygen', '--out', existing])).code).toBe(0);
    const again = await m2m(['keygen', '--out', existing]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('--force');
    expect((await m2m(['keygen', '--out', existing, '--force'])).code).toBe(0);
    expect(statSync(existing).mode & 0o777).toBe(0o600);
  });

  it('reads a config file, with flags and environment taking precedence', async () => {
    const config = join(workDir, 'm2m.json');
    writeFileSync(config, JSON.stringify({ url: gateway.url, apiKey: gateway.adminKey }), { mode: 0o600 });
    const fromFile = await m2m(['devices', 'list', '--limit', '1', '--config', config, '--json'], { M2M_URL: undefined, M2M_API_KEY: undefined });
    expect(fromFile.code).toBe(0);
    expect(json<{ items: Device[] }>(fromFile).items.length).toBeLessThanOrEqual(1);

    // The environment beats the file; a flag beats the environment.
    const envWins = await m2m(['devices', 'list', '--config', config], { M2M_URL: 'http://127.0.0.1:9', M2M_API_KEY: undefined });
    expect(envWins.code).toBe(3);
    const flagWins = await m2m(['devices', 'list', '--config', config, '--url', gateway.url], { M2M_URL: 'http://127.0.0.1:9', M2M_API_KEY: undefined });
    expect(flagWins.code).toBe(0);
  });

  it('never printed the API key or a private key', () => {
    const printed = transcript.join('\n');
    expect(transcript.length).toBeGreaterThan(20);
    expect(printed).not.toContain(gateway.adminKey);
    const keys = readdirSync(workDir).filter((name) => name.endsWith('.pem'));
    expect(keys.length).toBeGreaterThan(3);
    for (const name of keys) {
      const body = readFileSync(join(workDir, name), 'utf8').split('\n')[1] as string;
      expect(printed).not.toContain(body);
    }
    expect(printed).not.toContain('PRIVATE KEY');
  });
});
