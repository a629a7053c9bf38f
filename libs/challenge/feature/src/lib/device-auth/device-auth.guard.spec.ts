import { DEVICE_CREDENTIALS_REPOSITORY, type DeviceCredentials, type DeviceCredentialsRepository } from '@m2m-trust/challenge-data-access';
import { CLOCK, EVENT_BUS } from '@m2m-trust/shared-contracts';
import { jwkThumbprint } from '@m2m-trust/shared-crypto';
import { InProcessEventBus } from '@m2m-trust/shared-data-access';
import { signRequest,type SignRequestOptions } from '@m2m-trust/shared-http-signatures';
import { type AppConfig, HEALTH_CHECKS, loadConfig, Metrics, PlatformModule, Secret } from '@m2m-trust/shared-platform';
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
import { SIGNATURE_REPLAY_CAPACITY } from './signature-replay.cache';

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
const tokens = new FakeAccessTokens();

async function startApp(env: Record<string, string> = {}, replayCapacity?: number): Promise<NestFastifyApplication> {
  const config: AppConfig = loadConfig({ M2M_ADMIN_API_KEY: 'admin-key-for-device-auth-spec', M2M_SIGNATURE_MAX_AGE_SECONDS: String(MAX_AGE), ...env });
  const repository: DeviceCredentialsRepository = {
    get: async (deviceId) => [active, revoked].find((device) => device.deviceId === deviceId)?.credentials ?? null,
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

const HOST = 'device-auth.test';

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
    ['signed for another host', { ...signed(active, {}, { nonce: 't2' }), headers: { ...signed(active, {}, { nonce: 't2' }).headers, host: 'elsewhere.test' } }, 'SIGNATURE_INVALID'],
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

describe('DeviceAuthGuard configuration', () => {
  it('rebuilds the target URI from M2M_AUDIENCE when it is a URL, ignoring X-Forwarded-*', async () => {
    const app = await startApp({ M2M_AUDIENCE: 'https://m2m.example.com' });
    app.get(CLOCK).now = () => NOW;
    const fastify = app.getHttpAdapter().getInstance();
    try {
      const good = signed(active, {}, { nonce: 'a1' }, 'https://m2m.example.com');
      expect((await fastify.inject({ method: 'GET', url: '/v1/me', headers: good.headers })).statusCode).toBe(200);
      const local = signed(active, {}, { nonce: 'a2' });
      const forwarded = { ...local.headers, 'x-forwarded-proto': 'http', 'x-forwarded-host': HOST };
      expect((await fastify.inject({ method: 'GET', url: '/v1/me', headers: forwarded })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('refuses with 503 rather than forget a live signature when the replay window is full', async () => {
    const app = await startApp({}, 2);
    app.get(CLOCK).now = () => NOW;
    const fastify = app.getHttpAdapter().getInstance();
    try {
      for (const nonce of ['c1', 'c2']) expect((await fastify.inject({ method: 'GET', url: '/v1/me', headers: signed(active, {}, { nonce }).headers })).statusCode).toBe(200);
      const full = await fastify.inject({ method: 'GET', url: '/v1/me', headers: signed(active, {}, { nonce: 'c3' }).headers });
      expect(full.statusCode).toBe(503);
      expect(full.headers['retry-after']).toBe('1');
      // Once the first two are past their window they make room.
      app.get(CLOCK).now = () => new Date(NOW.getTime() + (MAX_AGE + 1) * 1000);
      const later = signed(active, {}, { nonce: 'c4', created: NOW.getTime() + (MAX_AGE + 1) * 1000 });
      expect((await fastify.inject({ method: 'GET', url: '/v1/me', headers: later.headers })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
