import { type ApiKey, type CreatedApiKey } from '@m2m-trust/sdk';
import { type RunningGateway, startGateway } from '@m2m-trust/sdk/testing';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type CliRun, runCli } from './testing/cli.process';

// `m2m api-keys …`, built (npm run build), as a child process against the built gateway.

let gateway: RunningGateway;
let workDir: string;

beforeAll(async () => {
  gateway = await startGateway();
  workDir = mkdtempSync(join(tmpdir(), 'm2m-cli-keys-'));
});
afterAll(async () => {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const m2m = (args: readonly string[], apiKey: string = gateway.adminKey): Promise<CliRun> =>
  runCli(args, { cwd: workDir, env: { PATH: process.env['PATH'] ?? '', HOME: workDir, M2M_URL: gateway.url, M2M_API_KEY: apiKey } });

describe('m2m api-keys against the gateway', () => {
  it('creates a key (printed once, with a note), lists it without the secret, and revokes it', async () => {
    const created = await m2m(['api-keys', 'create', '--name', 'CLI reader', '--scope', 'devices:read', '--scope', 'audit:read', '--expires-at', '2099-01-01T00:00:00Z']);
    expect(created.code).toBe(0);
    const key = /^key:\s+(m2m_([0-9a-f]{24})_[A-Za-z0-9_-]{43})$/m.exec(created.stdout);
    expect(key).not.toBeNull();
    const [, secretKey, id] = key as unknown as [string, string, string];
    expect(created.stdout).toMatch(/^scopes:\s+devices:read audit:read$/m);
    expect(created.stderr).toMatch(/shown this once/);

    const reader = await m2m(['devices', 'list', '--limit', '1'], secretKey);
    expect(reader.code).toBe(0);
    const denied = await m2m(['api-keys', 'list'], secretKey);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('INSUFFICIENT_SCOPE');

    const table = await m2m(['api-keys', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+active\\s+devices:read,audit:read\\s+\\S+\\s+2099-01-01T00:00:00.000Z\\s+CLI reader$`, 'm'));
    expect(table.stdout).not.toContain(secretKey.slice(-43));

    const listed = await m2m(['api-keys', 'list', '--json']);
    const items = JSON.parse(listed.stdout) as ApiKey[];
    expect(items.find((item) => item.id === id)).toEqual({
      id,
      name: 'CLI reader',
      scopes: ['devices:read', 'audit:read'],
      createdAt: expect.any(String),
      expiresAt: '2099-01-01T00:00:00.000Z',
      revokedAt: null,
      status: 'active',
    });

    const revoked = await m2m(['api-keys', 'revoke', id, '--reason', 'done', '--json']);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id, status: 'revoked' });
    expect((await m2m(['devices', 'list', '--limit', '1'], secretKey)).code).toBe(1);
  });

  it('prints the created key in --json too, and only there on stdout', async () => {
    const created = await m2m(['api-keys', 'create', '--name', 'json', '--scope', 'keys:admin', '--json']);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as CreatedApiKey;
    expect(body).toMatchObject({ name: 'json', scopes: ['keys:admin'], expiresAt: null, status: 'active' });
    expect(body.key).toMatch(new RegExp(`^m2m_${body.id}_`));
    expect(created.stderr).not.toContain(body.key);
  });

  it('refuses a bad command line before calling the service, and reports the service refusing', async () => {
    expect((await m2m(['api-keys', 'create', '--name', 'x'])).code).toBe(2);
    expect((await m2m(['api-keys', 'create', '--name', 'x', '--scope', 'devices:admin'])).code).toBe(2);
    expect((await m2m(['api-keys', 'revoke'])).code).toBe(2);
    const past = await m2m(['api-keys', 'create', '--name', 'x', '--scope', 'audit:read', '--expires-at', '2001-01-01T00:00:00Z']);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('VALIDATION_FAILED');
    const missing = await m2m(['api-keys', 'revoke', '0123456789abcdef01234567']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('API_KEY_NOT_FOUND');
  });
});
