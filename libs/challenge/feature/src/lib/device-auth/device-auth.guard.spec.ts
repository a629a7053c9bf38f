import { DEVICE_CREDENTIALS_REPOSITORY, type DeviceCredentials, type DeviceCredentialsRepository } from '@m2m-trust/challenge-data-access';
import { CLOCK, EVENT_BUS } from '@m2m-trust/shared-contracts';
import { jwkThumbprint } from '@m2m-trust/shared-crypto';
import { InProcessEventBus } from '@m2m-trust/shared-data-access';
import { signRequest,type SignRequestOptions } from '@m2m-trust/shared-http-signatures';
import { type AppConfig, HEALTH_CHECKS, loadConfig, Metrics, PlatformModule, Secret, ServiceAudience } from '@m2m-trust/shared-platform';
import { RateLimits } from '@m2m-trust/shared-rate-limit';
import { type AccessTokenClaims, AccessTokens } from '@m2m-trust/token-feature';

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Body, Controller, Global, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

import { DeviceCredentialsCache } from '../device-credentials.cache';
import { type AuthenticatedDevice } from './authenticated-device';
import { CurrentDevice, DeviceAuth } from './device-auth.decorator';
import { DEVICE_AUTH_PROVIDERS } from './device-auth.providers';
import { MeController } from './me.controller';
import { type ReplayCapacity, SIGNATURE_REPLAY_CAPACITY } from './signature-replay.cache';

const NOW = new Date('2026-03-01T12:00:00Z');
const MAX_AGE = 300;

interface TestDevice {
  readonly deviceId: string;
  readonly privateKey: KeyObject;
  readonly credentials: DeviceCredentials;
}

function newDevice(deviceId: string, status: DeviceCredentials['status'] = 'active'): TestDevice {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return { deviceId, privateKey, credentials: { deviceId, publicKey: raw.toString('hex'), keyThumbprint: jwkThumbprint(raw), status, version: 1 } };
}

/** Our own port, answered from a map: tokens are opaque strings here, their JWT form is docs/tokens.md's concern. */
class FakeAccessTokens extends AccessTokens {
  readonly valid = new Map<string, AccessTokenClaims>();
  issue(): never {
    throw new Error('not used by the guard');
  }
  async verify(token: string): Promise<AccessTokenClaims | null> {
    return this.valid.get(token) ?? null;
  }
}

@Controller('test/readings')
class ReadingsController {
  @Post()
  @DeviceAuth()
  record(@CurrentDevice() device: AuthenticatedDevice, @Body() body: unknown): { deviceId: string; body: unknown } {
    return { deviceId: device.deviceId, body };
  }
}

const active = newDevice('scanner-1');
const revoked = newDevice('scanner-2', 'revoked');
const other = newDevice('scanner-3');
const tokens = new FakeAccessTokens();

const HOST = 'device-auth.test';

async function startApp(env: Record<string, string | undefined> = {}, replayCapacity?: ReplayCapacity): Promise<NestFastifyApplication> {
  const config: AppConfig = loadConfig({
    M2M_ADMIN_API_KEY: 'admin-key-for-device-auth-spec',
    M2M_SIGNATURE_MAX_AGE_SECONDS: String(MAX_AGE),
    M2M_PUBLIC_URL: `http://${HOST}`,
    ...env,
  });
  const repository: DeviceCredentialsRepository = {
    get: async (deviceId) => [active, revoked, other].find((device) => device.deviceId === deviceId)?.credentials ?? null,
  };
  // What the composition root provides globally in the gateway.
  @Global()
  @Module({ providers: [{ provide: HEALTH_CHECKS, useValue: [] }], exports: [HEALTH_CHECKS] })
  class RootProviders {}
  @Module({
    imports: [RootProviders, PlatformModule.forRoot({ config, adminApiKey: { key: new Secret('admin-key-for-device-auth-spec'), file: null, generated: false }, metrics: new Metrics() })],
    controllers: [MeController, ReadingsController],
    providers: [
      ...DEVICE_AUTH_PROVIDERS,
      DeviceCredentialsCache,
      { provide: DEVICE_CREDENTIALS_REPOSITORY, useValue: repository },
      { provide: EVENT_BUS, useValue: new InProcessEventBus(() => undefined) },
      { provide: AccessTokens, useValue: tokens },
      { provide: RateLimits, useValue: new RateLimits({ limits: config.abuse.rateLimits, store: { kind: 'memory' } }) },
      ...(replayCapacity === undefined ? [] : [{ provide: SIGNATURE_REPLAY_CAPACITY, useValue: replayCapacity }]),
    ],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false, abortOnError: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

interface Sent {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function signed(device: TestDevice, request: Partial<Sent> = {}, options: Partial<SignRequestOptions> = {}, origin = `http://${HOST}`): Sent {
  const method = request.method ?? 'GET';
  const url = request.url ?? '/v1/me';
  const headers = { host: HOST, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers };
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const fields = signRequest({ method, targetUri: `${origin}${url}`, headers, body }, { key: device.privateKey, keyId: device.deviceId, created: NOW, ...options });
  return { method, url, headers: { ...headers, ...fields }, ...(request.body === undefined ? {} : { body: request.body }) };
}

describe('DeviceAuthGuard on GET /v1/me', () => {
  let app: NestFastifyApplication;
  const send = (request: Sent) => app.getHttpAdapter().getInstance().inject({ method: request.method, url: request.url, headers: request.headers, payload: request.body });

  beforeAll(async () => {
    app = await startApp();
    app.get(CLOCK).now = () => NOW;
  });
  afterAll(() => app.close());

  it('answers the device that signed the request', async () => {
    const response = await send(signed(active, {}, { nonce: 'first' }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      deviceId: 'scanner-1',
      keyThumbprint: active.credentials.keyThumbprint,
      status: 'active',
      authentication: {
        method: 'http-signature',
        label: 'sig1',
        keyId: 'scanner-1',
        created: NOW.toISOString(),
        nonce: 'first',
        components: ['"@method"', '"@target-uri"', '"content-digest"'],
      },
    });
  });

  it('accepts a signature once: the same bytes again are a replay, a fresh nonce is not', async () => {
    const request = signed(active, {}, { nonce: 'replay-me' });
    expect((await send(request)).statusCode).toBe(200);
    const replay = await send(request);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'UNAUTHORIZED', detail: expect.stringContaining('SIGNATURE_REPLAYED') });
    // A new signature carrying a used nonce is a replay too: the nonce is what the device promised never to repeat.
    expect((await send(signed(active, {}, { nonce: 'replay-me', created: NOW.getTime() - 1000 }))).statusCode).toBe(401);
    expect((await send(signed(active, {}, { nonce: 'another' }))).statusCode).toBe(200);
  });

  it('without a nonce, the signature bytes are the replay key', async () => {
    const request = signed(active, {}, { created: NOW.getTime() - 5000 });
    expect((await send(request)).statusCode).toBe(200);
    expect((await send(request)).statusCode).toBe(401);
  });

  it.each([
    ['unsigned', { method: 'GET', url: '/v1/me', headers: { host: HOST } } as Sent, 'Authenticate as a device'],
    ['tampered path', { ...signed(active, {}, { nonce: 't1' }), url: '/v1/me?x=1' }, 'SIGNATURE_INVALID'],
    ['signed for the host it names, not the public URL', signed(active, { headers: { host: 'elsewhere.test' } }, { nonce: 't2' }, 'http://elsewhere.test'), 'SIGNATURE_INVALID'],
    ['signed for https', signed(active, {}, { nonce: 't3' }, `https://${HOST}`), 'SIGNATURE_INVALID'],
    ['expired', signed(active, {}, { nonce: 't4', created: NOW.getTime() - (MAX_AGE + 1) * 1000 }), 'SIGNATURE_EXPIRED'],
    ['from the future', signed(active, {}, { nonce: 't5', created: NOW.getTime() + (MAX_AGE + 1) * 1000 }), 'SIGNATURE_FROM_FUTURE'],
    ['unknown keyid', signed(newDevice('nobody'), {}, { nonce: 't6' }), 'KEY_UNKNOWN'],
    ['revoked device', signed(revoked, {}, { nonce: 't7' }), 'KEY_UNKNOWN'],
    ['another key under the keyid', signed({ ...newDevice('x'), deviceId: 'scanner-1' }, {}, { nonce: 't8' }), 'SIGNATURE_INVALID'],
    ['without content-digest', signed(active, {}, { nonce: 't9', components: ['@method', '@target-uri'] }), 'COMPONENT_MISSING'],
    ['the admin API key', { method: 'GET', url: '/v1/me', headers: { host: HOST, authorization: 'Bearer admin-key-for-device-auth-spec' } } as Sent, 'not a valid access token'],
  ])('refuses %s with 401 problem+json naming both schemes', async (_, request, reason) => {
    const response = await send(request);
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer .*Signature /);
    const body = response.json();
    expect(body).toMatchObject({ code: 'UNAUTHORIZED', detail: expect.stringContaining(reason) });
    const signature = request.headers['signature'];
    if (signature) expect(JSON.stringify(body)).not.toContain(signature.split(':')[1]);
  });

  it('accepts an access token of an active device, bound to its key', async () => {
    const claims = (sub: string, jkt: string): AccessTokenClaims => ({ iss: 'i', sub, aud: 'a', iat: 0, exp: 1_900_000_000, jti: `jti-${sub}`, deviceKeyThumbprint: jkt });
    tokens.valid.set('good', claims('scanner-1', active.credentials.keyThumbprint));
    tokens.valid.set('for-revoked', claims('scanner-2', revoked.credentials.keyThumbprint));
    tokens.valid.set('other-key', claims('scanner-1', revoked.credentials.keyThumbprint));
    const bearer = (token: string): Sent => ({ method: 'GET', url: '/v1/me', headers: { host: HOST, authorization: `Bearer ${token}` } });

    const ok = await send(bearer('good'));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ deviceId: 'scanner-1', authentication: { method: 'bearer', tokenId: 'jti-scanner-1', expiresAt: '2030-03-17T17:46:40.000Z' } });
    for (const token of ['for-revoked', 'other-key', 'unknown']) expect((await send(bearer(token))).statusCode).toBe(401);
  });

  it('judges a request with signature fields by them alone, even beside a valid token', async () => {
    const request = { ...signed(active, {}, { nonce: 'both' }), url: '/v1/me?tampered' };
    const response = await send({ ...request, headers: { ...request.headers, authorization: 'Bearer good' } });
    expect(response.statusCode).toBe(401);
  });

  it('checks Content-Digest against the body bytes as received, and leaves JSON parsing as it was', async () => {
    const body = '{"temperature":  21.5 }';
    const request = signed(active, { method: 'POST', url: '/test/readings', body }, { nonce: 'post-1' });
    const ok = await send(request);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ deviceId: 'scanner-1', body: { temperature: 21.5 } });

    // The same JSON value, other bytes: the digest is of the bytes.
    const reformatted = await send({ ...signed(active, { method: 'POST', url: '/test/readings', body }, { nonce: 'post-2' }), body: '{"temperature":21.5}' });
    expect(reformatted.statusCode).toBe(401);
    expect(reformatted.json().detail).toContain('CONTENT_DIGEST_MISMATCH');
  });
});

const inject = (app: NestFastifyApplication, request: Sent) =>
  app.getHttpAdapter().getInstance().inject({ method: request.method, url: request.url, headers: request.headers, payload: request.body });

describe('DeviceAuthGuard configuration', () => {
  const started: NestFastifyApplication[] = [];
  const start = async (env: Record<string, string | undefined> = {}, replayCapacity?: ReplayCapacity): Promise<NestFastifyApplication> => {
    const app = await startApp(env, replayCapacity);
    started.push(app);
    app.get(CLOCK).now = () => NOW;
    return app;
  };
  afterEach(async () => {
    for (const app of started.splice(0)) await app.close();
  });

  it('takes the target URI from M2M_PUBLIC_URL, never from the Host header or X-Forwarded-*', async () => {
    const app = await start({ M2M_PUBLIC_URL: 'https://m2m.example.com' });
    // Signed for the public URL: the Host header, forged or rewritten by a proxy, is not read.
    const good = signed(active, { headers: { host: 'forged.test' } }, { nonce: 'p1' }, 'https://m2m.example.com');
    expect((await inject(app, good)).statusCode).toBe(200);
    // Signed over the forged Host (a request meant for another server, say): refused.
    const overForged = await inject(app, signed(active, { headers: { host: 'forged.test' } }, { nonce: 'p2' }, 'http://forged.test'));
    expect(overForged.statusCode).toBe(401);
    expect(overForged.json().detail).toContain('SIGNATURE_INVALID');
    const local = signed(active, {}, { nonce: 'p3' });
    const forwarded = await inject(app, { ...local, headers: { ...local.headers, 'x-forwarded-proto': 'http', 'x-forwarded-host': HOST } });
    expect(forwarded.statusCode).toBe(401);
  });

  it('falls back on M2M_AUDIENCE when it is an http(s) URL', async () => {
    const app = await start({ M2M_PUBLIC_URL: undefined, M2M_AUDIENCE: 'https://m2m.example.com' });
    expect((await inject(app, signed(active, { headers: { host: 'forged.test' } }, { nonce: 'a1' }, 'https://m2m.example.com'))).statusCode).toBe(200);
    expect((await inject(app, signed(active, {}, { nonce: 'a2' }))).statusCode).toBe(401);
  });

  it('M2M_PUBLIC_URL=listening: the URL the server listens on', async () => {
    const app = await start({ M2M_PUBLIC_URL: 'listening' });
    app.get(ServiceAudience).useListeningUrl('http://127.0.0.1:18080');
    expect((await inject(app, signed(active, { headers: { host: 'forged.test' } }, { nonce: 'l1' }, 'http://127.0.0.1:18080'))).statusCode).toBe(200);
    expect((await inject(app, signed(active, { headers: { host: 'forged.test' } }, { nonce: 'l2' }, 'http://forged.test'))).statusCode).toBe(401);
  });

  it('without a public URL, refuses signed requests with 503 PUBLIC_URL_NOT_CONFIGURED; tokens still work', async () => {
    const app = await start({ M2M_PUBLIC_URL: undefined, M2M_AUDIENCE: 'urn:m2m:not-a-url' });
    const answer = await inject(app, signed(active, {}, { nonce: 'n1' }));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.json()).toMatchObject({ code: 'PUBLIC_URL_NOT_CONFIGURED', detail: expect.stringContaining('M2M_PUBLIC_URL') });
    tokens.valid.set('cfg', { iss: 'i', sub: 'scanner-1', aud: 'a', iat: 0, exp: 1_900_000_000, jti: 'jti-cfg', deviceKeyThumbprint: active.credentials.keyThumbprint });
    expect((await inject(app, { method: 'GET', url: '/v1/me', headers: { host: HOST, authorization: 'Bearer cfg' } })).statusCode).toBe(200);
  });

  it('counts each device-authenticated request against the device, only once its credential is verified', async () => {
    const app = await start({ M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '2' });
    // Strangers naming the device (no key, or another key under its keyid) spend nothing of its budget.
    for (let i = 0; i < 5; i++) {
      expect((await inject(app, signed({ ...newDevice('x'), deviceId: 'scanner-1' }, {}, { nonce: `s${i}` }))).statusCode).toBe(401);
    }
    tokens.valid.set('limit', { iss: 'i', sub: 'scanner-1', aud: 'a', iat: 0, exp: 1_900_000_000, jti: 'jti-limit', deviceKeyThumbprint: active.credentials.keyThumbprint });
    expect((await inject(app, signed(active, {}, { nonce: 'r1' }))).statusCode).toBe(200);
    expect((await inject(app, { method: 'GET', url: '/v1/me', headers: { host: HOST, authorization: 'Bearer limit' } })).statusCode).toBe(200);
    const refused = await inject(app, signed(active, {}, { nonce: 'r2' }));
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.headers).toMatchObject({ 'retry-after': expect.stringMatching(/^\d+$/), 'ratelimit-limit': '2', 'ratelimit-remaining': '0' });
    // Another device has its own budget.
    expect((await inject(app, signed(other, {}, { nonce: 'r3' }))).statusCode).toBe(200);
  });

  it('bounds the replay memory per device: a device over its quota alone is refused with 429', async () => {
    const app = await start({}, { total: 100, perDevice: 2 });
    for (const nonce of ['q1', 'q2']) expect((await inject(app, signed(active, {}, { nonce }))).statusCode).toBe(200);
    const over = await inject(app, signed(active, {}, { nonce: 'q3' }));
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining('at most 2 within 300 s') });
    expect(over.headers).toMatchObject({ 'retry-after': String(MAX_AGE + 1), 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-policy': '2;w=300' });
    // Others are unaffected, and the first two are still remembered (a replay is still a replay).
    expect((await inject(app, signed(other, {}, { nonce: 'q1' }))).statusCode).toBe(200);
    expect((await inject(app, signed(active, {}, { nonce: 'q1' }))).statusCode).toBe(401);
    // Once its entries are past their window, the device has room again.
    app.get(CLOCK).now = () => new Date(NOW.getTime() + (MAX_AGE + 1) * 1000);
    expect((await inject(app, signed(active, {}, { nonce: 'q4', created: NOW.getTime() + (MAX_AGE + 1) * 1000 }))).statusCode).toBe(200);
  });

  it('refuses with 503 rather than forget a live signature when the replay memory is full', async () => {
    const app = await start({}, { total: 2, perDevice: 10 });
    expect((await inject(app, signed(active, {}, { nonce: 'c1' }))).statusCode).toBe(200);
    expect((await inject(app, signed(other, {}, { nonce: 'c2' }))).statusCode).toBe(200);
    const full = await inject(app, signed(active, {}, { nonce: 'c3' }));
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('1');
    // Once the first two are past their window they make room.
    app.get(CLOCK).now = () => new Date(NOW.getTime() + (MAX_AGE + 1) * 1000);
    expect((await inject(app, signed(active, {}, { nonce: 'c4', created: NOW.getTime() + (MAX_AGE + 1) * 1000 }))).statusCode).toBe(200);
  });
});
