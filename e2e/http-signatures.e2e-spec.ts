import { type RequestSigningOptions, signRequest } from '@m2m-trust/sdk';

import { join } from 'node:path';

import { scaled } from '../tools/jest/scale.cjs';
import { ROOT, type RunningApp, startApp } from '../tools/scripts/cluster.cjs';
import { Api, type Device, newDevice, register } from './support/client';
import { getWithHost } from './support/get-with-host';
import { outputThrough } from './support/logs';
import { newDataDir, type RunningServer, startServer } from './support/server';

const MAX_AGE_SECONDS = 60;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

describe('device requests signed with HTTP Message Signatures (RFC 9421)', () => {
  let server: RunningServer;
  let admin: Api;
  let device: Device;

  const pem = (d: Device): string => d.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

  /** Signs GET <path> as the device would, with the SDK's signer. */
  const signMe = (d: Device, options: Partial<RequestSigningOptions> = {}, path = '/v1/me') =>
    signRequest({ method: 'GET', url: `${server.url}${path}` }, { deviceId: d.deviceId, privateKey: pem(d), ...options });

  const get = async (path: string, headers: Record<string, string>): Promise<Answer> => {
    const response = await fetch(`${server.url}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const expectRefused = (answer: Answer, reason: string): void => {
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.headers.get('www-authenticate')).toMatch(/Bearer .*Signature/);
    expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED', detail: expect.stringContaining(reason) });
  };

  beforeAll(async () => {
    server = await startServer({ env: { M2M_SIGNATURE_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS) } });
    admin = new Api(server.url, server.adminKey);
    device = newDevice('sig');
    expect((await register(admin, device)).status).toBe(201);
  });
  afterAll(() => server.stop());

  it('GET /v1/me answers the device that signed the request', async () => {
    const fields = await signMe(device, { nonce: 'e2e-first' });
    const answer = await get('/v1/me', { ...fields });
    expect(answer.status).toBe(200);
    const registered = await admin.get(`/v1/devices/${device.deviceId}`);
    expect(answer.body).toEqual({
      deviceId: device.deviceId,
      keyThumbprint: registered.body['keyThumbprint'],
      status: 'active',
      authentication: {
        method: 'http-signature',
        label: 'sig1',
        keyId: device.deviceId,
        created: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        nonce: 'e2e-first',
        components: ['"@method"', '"@target-uri"', '"content-digest"'],
      },
    });
  });

  it('refuses the same signed request a second time', async () => {
    const fields = await signMe(device);
    expect((await get('/v1/me', { ...fields })).status).toBe(200);
    expectRefused(await get('/v1/me', { ...fields }), 'SIGNATURE_REPLAYED');
  });

  it('refuses a request sent elsewhere than it was signed for', async () => {
    expectRefused(await get('/v1/me?other=1', { ...(await signMe(device)) }), 'SIGNATURE_INVALID');
  });

  it('refuses a changed signature', async () => {
    const fields = await signMe(device);
    const tampered = fields.signature.replace(/=:(.)/, (_, first: string) => `=:${first === 'A' ? 'B' : 'A'}`);
    expectRefused(await get('/v1/me', { ...fields, signature: tampered }), 'SIGNATURE_INVALID');
  });

  it('refuses a signature older than the window, and one from too far ahead', async () => {
    expectRefused(await get('/v1/me', { ...(await signMe(device, { created: Date.now() - (MAX_AGE_SECONDS + 30) * 1000 })) }), 'SIGNATURE_EXPIRED');
    expectRefused(await get('/v1/me', { ...(await signMe(device, { created: Date.now() + (MAX_AGE_SECONDS + 30) * 1000 })) }), 'SIGNATURE_FROM_FUTURE');
  });

  it('refuses a keyid that names no device, and a device id signed with another key', async () => {
    const stranger = newDevice('sig-unknown');
    expectRefused(await get('/v1/me', { ...(await signMe(stranger)) }), 'KEY_UNKNOWN');
    expectRefused(await get('/v1/me', { ...(await signMe({ ...stranger, deviceId: device.deviceId })) }), 'SIGNATURE_INVALID');
  });

  it('refuses a signature that leaves out content-digest', async () => {
    expectRefused(await get('/v1/me', { ...(await signMe(device, { components: ['@method', '@target-uri'] })) }), 'COMPONENT_MISSING');
  });

  it('refuses a revoked device', async () => {
    const doomed = newDevice('sig-revoked');
    expect((await register(admin, doomed)).status).toBe(201);
    expect((await get('/v1/me', { ...(await signMe(doomed)) })).status).toBe(200);
    expect((await admin.post(`/v1/devices/${doomed.deviceId}/revoke`, { reason: 'retired' })).status).toBe(200);
    expectRefused(await get('/v1/me', { ...(await signMe(doomed)) }), 'KEY_UNKNOWN');
  });

  it('refuses an unsigned request, and the operator API key: /v1/me is for devices', async () => {
    expectRefused(await get('/v1/me', {}), 'Authenticate as a device');
    expectRefused(await get('/v1/me', { authorization: `Bearer ${server.adminKey}` }), 'not a valid access token');
  });

  it('never writes a signature to the log', async () => {
    const fields = await signMe(device);
    const answer = await get('/v1/me?logged=1', { ...fields });
    const value = fields.signature.split(':')[1] as string;
    expect(await outputThrough(server, answer.headers.get('x-request-id'))).not.toContain(value);
  });
});

const pemOf = (d: Device): string => d.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const signFor = (d: Device, url: string, options: Partial<RequestSigningOptions> = {}) =>
  signRequest({ method: 'GET', url }, { deviceId: d.deviceId, privateKey: pemOf(d), ...options });

describe('the target URI of a signed request comes from the public URL, never from the Host header', () => {
  const PUBLIC_URL = 'https://m2m.public.test';
  let server: RunningServer;
  let device: Device;

  beforeAll(async () => {
    server = await startServer({ env: { M2M_PUBLIC_URL: PUBLIC_URL } });
    device = newDevice('pub');
    expect((await register(new Api(server.url, server.adminKey), device)).status).toBe(201);
  });
  afterAll(() => server.stop());

  it('accepts a request signed for the public URL, whatever Host it arrives with (a proxy may rewrite it)', async () => {
    const answer = await getWithHost(server.url, '/v1/me', 'forged.example', { ...(await signFor(device, `${PUBLIC_URL}/v1/me`)) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ deviceId: device.deviceId });
  });

  it('refuses a request signed over the Host it names instead, forged or the address it reached', async () => {
    const forged = await getWithHost(server.url, '/v1/me', 'forged.example', { ...(await signFor(device, 'http://forged.example/v1/me')) });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ code: 'UNAUTHORIZED', detail: expect.stringContaining('SIGNATURE_INVALID') });
    const reached = await fetch(`${server.url}/v1/me`, { headers: { ...(await signFor(device, `${server.url}/v1/me`)) } });
    expect(reached.status).toBe(401);
  });
});

describe('a server without a public URL refuses signed requests with a configuration error', () => {
  let server: RunningServer;
  let device: Device;

  beforeAll(async () => {
    // As a container or `node dist/apps/gateway/src/main.js` starts it: no M2M_PUBLIC_URL, M2M_AUDIENCE not a URL.
    server = await startServer({ env: { M2M_PUBLIC_URL: '', M2M_AUDIENCE: 'urn:m2m-trust:e2e' } });
    device = newDevice('nopub');
    expect((await register(new Api(server.url, server.adminKey), device)).status).toBe(201);
  });
  afterAll(() => server.stop());

  it('answers 503 PUBLIC_URL_NOT_CONFIGURED as problem+json, and warned at start', async () => {
    const answer = await fetch(`${server.url}/v1/me`, { headers: { ...(await signFor(device, `${server.url}/v1/me`)) } });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await answer.json()).toMatchObject({ status: 503, code: 'PUBLIC_URL_NOT_CONFIGURED', detail: expect.stringContaining('M2M_PUBLIC_URL') });
    expect(server.output()).toMatch(/"level":"?(warn|40)"?[^\n]*M2M_PUBLIC_URL is not set/);
  });
});

describe('`npm start` (tools/scripts/start.mjs) signs for the URL the server listens on', () => {
  let app: RunningApp;
  let device: Device;
  const adminKey = `npm-start-admin-key-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    app = await startApp('gateway', { M2M_DATA_DIR: newDataDir(), M2M_ADMIN_API_KEY: adminKey, GRPC_PORT: null }, { main: join(ROOT, 'tools/scripts/start.mjs'), timeoutMs: scaled(180_000) });
    device = newDevice('npmstart');
    expect((await register(new Api(app.url, adminKey), device)).status).toBe(201);
  });
  afterAll(() => app?.stop());

  it('accepts a request signed for the URL in its banner', async () => {
    expect((await fetch(`${app.url}/v1/me`, { headers: { ...(await signFor(device, `${app.url}/v1/me`)) } })).status).toBe(200);
  });
});

describe('device-authenticated routes are rate limited', () => {
  const DEVICE_LIMIT = 3;
  const ADDRESS_LIMIT = 12;
  let server: RunningServer;
  let admin: Api;

  beforeAll(async () => {
    server = await startServer({
      env: { M2M_RATE_LIMIT_DEVICE_PER_MINUTE: String(DEVICE_LIMIT), M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: String(ADDRESS_LIMIT), M2M_TRUST_PROXY: 'loopback' },
    });
    admin = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  let nextAddress = 1;
  const fromAddress = (): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${nextAddress++}` });
  const me = async (headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/v1/me`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  const expect429 = (answer: Awaited<ReturnType<typeof me>>, limit: number): void => {
    expect(answer.status).toBe(429);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answer.headers.get('ratelimit-limit')).toBe(String(limit));
    expect(answer.headers.get('ratelimit-remaining')).toBe('0');
    expect(answer.headers.get('ratelimit-policy')).toBe(`${limit};w=60`);
  };

  it('per device, counted only once the signature is verified: strangers cannot spend it', async () => {
    const device = newDevice('limited');
    expect((await register(admin, device)).status).toBe(201);
    const url = `${server.url}/v1/me`;
    // Strangers naming the device, each from an address of their own: refused, and nothing of the device's budget spent.
    for (let i = 0; i < 5; i++) expect((await me({ ...fromAddress(), ...(await signFor({ ...newDevice('x'), deviceId: device.deviceId }, url)) })).status).toBe(401);
    for (let i = 0; i < DEVICE_LIMIT; i++) expect((await me({ ...fromAddress(), ...(await signFor(device, url)) })).status).toBe(200);
    expect429(await me({ ...fromAddress(), ...(await signFor(device, url)) }), DEVICE_LIMIT);
    // Another device has a budget of its own.
    const other = newDevice('limited-other');
    expect((await register(admin, other)).status).toBe(201);
    expect((await me({ ...fromAddress(), ...(await signFor(other, url)) })).status).toBe(200);
  });

  it('per client address, before any credential is checked', async () => {
    const address = fromAddress();
    for (let i = 0; i < ADDRESS_LIMIT; i++) expect((await me(address)).status).toBe(401);
    expect429(await me(address), ADDRESS_LIMIT);
  });
});

describe('the replay memory is bounded per device', () => {
  const PER_DEVICE = 1_000;
  let server: RunningServer;
  let admin: Api;

  beforeAll(async () => {
    server = await startServer({ env: { M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '0', M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0' } });
    admin = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  it(`refuses a device's signed request past ${PER_DEVICE} live ones with 429, and that device alone`, async () => {
    const [noisy, quiet] = [newDevice('noisy'), newDevice('quiet')];
    for (const d of [noisy, quiet]) expect((await register(admin, d)).status).toBe(201);
    const url = `${server.url}/v1/me`;
    const statuses = new Map<number, number>();
    for (let i = 0; i < PER_DEVICE; i++) {
      const status = (await fetch(url, { headers: { ...(await signFor(noisy, url)) } })).status;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: PER_DEVICE });
    const over = await fetch(url, { headers: { ...(await signFor(noisy, url)) } });
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining(`at most ${PER_DEVICE}`) });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await fetch(url, { headers: { ...(await signFor(quiet, url)) } })).status).toBe(200);
  });
});
