import { loadConfig, Metrics, resolveAdminApiKey, ServiceAudience } from '@m2m-trust/shared-platform';
import { AccessTokens } from '@m2m-trust/token-feature';

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

import { AppModule } from './app.module';

/**
 * Introspection of a real token through the embedded app on real SQLite,
 * before and after the device is revoked. The token is issued in process:
 * verify does not hand tokens out yet on this branch.
 * TODO(issue 7, verify returns tokens): move this flow to e2e/tokens.e2e-spec.ts.
 */
describe('token introspection in the embedded app (real SQLite)', () => {
  const ADMIN = 'tokens-int-spec-admin-key-0123456789';
  let dir: string;
  let app: NestFastifyApplication;
  let http: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-tokens-app-'));
    const config = loadConfig({ M2M_DATA_DIR: dir, M2M_ADMIN_API_KEY: ADMIN, M2M_LOG_LEVEL: 'silent' });
    const module = AppModule.forRoot({ config, adminApiKey: resolveAdminApiKey(config), metrics: new Metrics() });
    app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
    http = app.getHttpAdapter().getInstance();
    http.removeContentTypeParser(['text/plain']);
    await app.init();
    await http.ready();
    app.get(ServiceAudience).useListeningUrl('http://127.0.0.1:8080');
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const introspect = (token: string) =>
    http.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token }).toString(),
    });

  it('answers active with the claims while the device stands, and inactive at once after its revocation', async () => {
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string;
    const registered = await http.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { deviceId: 'pump-17', publicKey },
    });
    expect(registered.statusCode).toBe(201);
    const { keyThumbprint } = registered.json<{ keyThumbprint: string }>();

    const { accessToken } = await app.get(AccessTokens).issue({ deviceId: 'pump-17', keyThumbprint, tokenId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a' });
    const active = await introspect(accessToken);
    expect(active.statusCode).toBe(200);
    expect(active.headers['cache-control']).toBe('no-store');
    expect(active.json()).toEqual({
      active: true,
      sub: 'pump-17',
      client_id: 'pump-17',
      iss: 'http://127.0.0.1:8080',
      aud: 'http://127.0.0.1:8080',
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
      token_type: 'Bearer',
      device_key_thumbprint: keyThumbprint,
    });

    const revoked = await http.inject({ method: 'POST', url: '/v1/devices/pump-17/revoke', headers: { authorization: `Bearer ${ADMIN}` }, payload: {} });
    expect(revoked.statusCode).toBe(200);
    const after = await introspect(accessToken);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ active: false });
  });

  it('answers inactive for a valid token of a device it does not know, or bound to another key', async () => {
    const tokens = app.get(AccessTokens);
    const unknown = await tokens.issue({ deviceId: 'never-registered', keyThumbprint: 'x'.repeat(43), tokenId: '1a2b3c4d-0000-4000-8000-000000000001' });
    expect((await introspect(unknown.accessToken)).json()).toEqual({ active: false });

    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string;
    await http.inject({ method: 'POST', url: '/v1/devices', headers: { authorization: `Bearer ${ADMIN}` }, payload: { deviceId: 'valve-3', publicKey } });
    const otherKey = await tokens.issue({ deviceId: 'valve-3', keyThumbprint: 'y'.repeat(43), tokenId: '1a2b3c4d-0000-4000-8000-000000000002' });
    expect((await introspect(otherKey.accessToken)).json()).toEqual({ active: false });
  });

  it('keeps every other route JSON-only: a form body there is 415', async () => {
    const answer = await http.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'deviceId=x&publicKey=y',
    });
    expect(answer.statusCode).toBe(415);
    expect(answer.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});
