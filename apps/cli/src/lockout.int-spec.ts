import { type DeviceLockout, M2MClient } from '@m2m-trust/sdk';
import { type RunningGateway, startGateway } from '@m2m-trust/sdk/testing';

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type CliRun, runCli } from './testing/cli.process';

// `m2m devices lock|lockout|unlock`, built (npm run build), as a child process against the built gateway.

let gateway: RunningGateway;
let workDir: string;

beforeAll(async () => {
  gateway = await startGateway();
  workDir = mkdtempSync(join(tmpdir(), 'm2m-cli-lockout-'));
});
afterAll(async () => {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const m2m = (args: readonly string[]): Promise<CliRun> =>
  runCli(args, { cwd: workDir, env: { PATH: process.env['PATH'], HOME: workDir, M2M_URL: gateway.url, M2M_API_KEY: gateway.adminKey } });

describe('m2m devices lock / lockout / unlock', () => {
  it("locks a device by hand, shows the lock and the failures, and lifts it", async () => {
    const operator = new M2MClient({ baseUrl: gateway.url, apiKey: gateway.adminKey });
    const deviceId = `cli-lock-${process.pid}-${Date.now().toString(36)}`;
    const { publicKey } = generateKeyPairSync('ed25519');
    await operator.m2m.registerDevice({ deviceId, publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex') });
    // Failures are recorded and shown; they lock nothing.
    for (let i = 0; i < 2; i++) {
      const challenge = await operator.m2m.initiateChallenge({ deviceId });
      expect(await operator.m2m.verify({ challengeId: challenge.id, signature: '00'.repeat(64) })).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
    }
    const unlocked = await m2m(['devices', 'lockout', deviceId]);
    expect(unlocked.stdout).toMatch(/^locked:\s+no$/m);
    expect(unlocked.stdout).toMatch(/^consecutive failures:\s+2$/m);
    expect(unlocked.stdout).toMatch(/^last failure:\s+\d{4}-\d\d-\d\dT\S+ SIGNATURE_INVALID$/m);

    expect((await m2m(['devices', 'lock', deviceId])).code).not.toBe(0);
    const locked = await m2m(['devices', 'lock', deviceId, '--reason', 'reported stolen', '--until', '2099-01-01T00:00:00Z']);
    expect(locked.code).toBe(0);
    expect(locked.stdout).toMatch(/^locked:\s+yes, until 2099-01-01T00:00:00.000Z: reported stolen$/m);
    const open = await m2m(['devices', 'lock', deviceId, '--reason', 'for good', '--json']);
    expect(JSON.parse(open.stdout) as DeviceLockout).toMatchObject({ deviceId, locked: true, lockedUntil: null, lockReason: 'for good' });

    const lifted = await m2m(['devices', 'unlock', deviceId, '--reason', 'reset on site', '--json']);
    expect(lifted.code).toBe(0);
    expect(JSON.parse(lifted.stdout) as DeviceLockout).toEqual({
      deviceId,
      locked: false,
      lockedUntil: null,
      lockReason: null,
      consecutiveFailures: 0,
      lastFailureAt: null,
      lastFailureReason: null,
      lockNumber: 0,
    });
    expect((await m2m(['devices', 'unlock', 'no-such-device'])).code).not.toBe(0);
  });
});
