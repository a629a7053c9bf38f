import { type DeviceLockout, M2MClient } from '@m2m-trust/sdk';
import { type RunningGateway, startGateway } from '@m2m-trust/sdk/testing';

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type CliRun, runCli } from './testing/cli.process';

// `m2m devices lockout|unlock`, built (npm run build), as a child process against the built gateway.

let gateway: RunningGateway;
let workDir: string;

beforeAll(async () => {
  gateway = await startGateway({ env: { M2M_LOCKOUT_THRESHOLD: '2', M2M_LOCKOUT_SECONDS: '600' } });
  workDir = mkdtempSync(join(tmpdir(), 'm2m-cli-lockout-'));
});
afterAll(async () => {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const m2m = (args: readonly string[]): Promise<CliRun> =>
  runCli(args, { cwd: workDir, env: { PATH: process.env['PATH'], HOME: workDir, M2M_URL: gateway.url, M2M_API_KEY: gateway.adminKey } });

describe('m2m devices lockout / unlock', () => {
  it('shows a locked device and lifts the lock', async () => {
    const operator = new M2MClient({ baseUrl: gateway.url, apiKey: gateway.adminKey });
    const deviceId = `cli-lock-${process.pid}-${Date.now().toString(36)}`;
    const { publicKey } = generateKeyPairSync('ed25519');
    await operator.m2m.registerDevice({ deviceId, publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex') });
    for (let i = 0; i < 2; i++) {
      const challenge = await operator.m2m.initiateChallenge({ deviceId });
      expect(await operator.m2m.verify({ challengeId: challenge.id, signature: '00'.repeat(64) })).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
    }

    const shown = await m2m(['devices', 'lockout', deviceId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^locked:\s+yes, until \d{4}-\d\d-\d\dT/m);

    const lifted = await m2m(['devices', 'unlock', deviceId, '--reason', 'reset on site', '--json']);
    expect(lifted.code).toBe(0);
    expect(JSON.parse(lifted.stdout) as DeviceLockout).toEqual({ deviceId, locked: false, lockedUntil: null, consecutiveFailures: 0, lockNumber: 0 });
    expect((await m2m(['devices', 'unlock', 'no-such-device'])).code).not.toBe(0);
  });
});
