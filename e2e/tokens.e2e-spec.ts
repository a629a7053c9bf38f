import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { base64url, calculateJwkThumbprint, type JWK, SignJWT } from 'jose';

import { Api } from './support/client';
import { type RunningServer, startServer } from './support/server';

interface Jwks {
  keys: (JWK & { kid: string })[];
}

const run = promisify(execFile);

/** openid-client v6 (ES modules only) in a plain Node process, as an OAuth client would run it. */
async function discover(issuer: string): Promise<Record<string, unknown>> {
  const script = `
    import * as client from 'openid-client';
    const config = await client.discovery(new URL(process.argv[1]), 'a-device', undefined, undefined, {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    process.stdout.write(JSON.stringify(config.serverMetadata()));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, issuer], { cwd: resolve(__dirname, '..') });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const form = (fields: Record<string, string> | string): string => (typeof fields === 'string' ? fields : new URLSearchParams(fields).toString());

describe('access tokens: JWKS, OAuth metadata, introspection', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  const introspect = (body: Record<string, string> | string, headers: Record<string, string> = {}) =>
    api.call('POST', '/oauth2/introspect', form(body), { 'content-type': 'application/x-www-form-urlencoded', ...headers });

  describe('GET /.well-known/jwks.json', () => {
    it('publishes the signing key by its RFC 7638 thumbprint, with no API key, cacheable for less than the publish-ahead', async () => {
      const answer = await new Api(server.url, null).get<Jwks>('/.well-known/jwks.json');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
      expect(answer.body.keys).toHaveLength(1);
      const [key] = answer.body.keys;
      expect(key).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: expect.any(String), alg: 'EdDSA', use: 'sig' });
      expect(await calculateJwkThumbprint(key as JWK)).toBe(key?.kid);
    });

    it('keeps the ring across a restart on the same data', async () => {
      const before = (await api.get<Jwks>('/.well-known/jwks.json')).body.keys;
      const again = await startServer({ dataDir: server.dataDir, adminKey: server.adminKey });
      try {
        expect((await new Api(again.url, null).get<Jwks>('/.well-known/jwks.json')).body.keys).toEqual(before);
      } finally {
        await again.stop();
      }
    });
  });

  describe('GET /.well-known/oauth-authorization-server', () => {
    it('describes the issuer and its endpoints (RFC 8414)', async () => {
      const answer = await new Api(server.url, null).get('/.well-known/oauth-authorization-server');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        issuer: server.url,
        token_endpoint: `${server.url}/oauth2/token`,
        jwks_uri: `${server.url}/.well-known/jwks.json`,
        introspection_endpoint: `${server.url}/oauth2/introspect`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'Ed25519'],
        introspection_endpoint_auth_methods_supported: ['Bearer'],
      });
    });

    it('is what openid-client discovers from the issuer URL', async () => {
      const metadata = await discover(server.url);
      expect(metadata).toMatchObject({ issuer: server.url, token_endpoint: `${server.url}/oauth2/token`, jwks_uri: `${server.url}/.well-known/jwks.json` });
    });

    it('names the configured issuer and audience instead of the listening URL', async () => {
      const configured = await startServer({ env: { M2M_TOKEN_ISSUER: 'https://auth.example.test', M2M_TOKEN_AUDIENCE: 'https://api.example.test' } });
      try {
        const answer = await new Api(configured.url, null).get('/.well-known/oauth-authorization-server');
        expect(answer.body).toMatchObject({
          issuer: 'https://auth.example.test',
          token_endpoint: 'https://auth.example.test/oauth2/token',
          jwks_uri: 'https://auth.example.test/.well-known/jwks.json',
          introspection_endpoint: 'https://auth.example.test/oauth2/introspect',
        });
      } finally {
        await configured.stop();
      }
    });
  });

  describe('POST /oauth2/introspect', () => {
    const claims = (overrides: Record<string, unknown> = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return { iss: server.url, sub: 'some-device', client_id: 'some-device', aud: server.url, iat: now, exp: now + 300, jti: 'a-token', device_key_thumbprint: 'x'.repeat(43), ...overrides };
    };
    const serverKid = async () => (await api.get<Jwks>('/.well-known/jwks.json')).body.keys[0]!.kid;
    const foreignToken = async (overrides: Record<string, unknown> = {}) =>
      new SignJWT(claims(overrides)).setProtectedHeader({ alg: 'EdDSA', kid: await serverKid(), typ: 'at+jwt' }).sign(generateKeyPairSync('ed25519').privateKey);

    it('needs the API key', async () => {
      const answer = await new Api(server.url, null).call('POST', '/oauth2/introspect', form({ token: 'x' }), { 'content-type': 'application/x-www-form-urlencoded' });
      expect(answer.status).toBe(401);
      expect(answer.body['code']).toBe('UNAUTHORIZED');
    });

    it('answers inactive, never cached, for garbage', async () => {
      for (const token of ['garbage', 'a.b.c', 'eyJhbGciOiJFZERTQSJ9.e30.']) {
        const answer = await introspect({ token });
        expect([answer.status, answer.body]).toEqual([200, { active: false }]);
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
    });

    it('answers inactive for a well-formed token under the server\'s kid not signed by the server, live or expired', async () => {
      expect((await introspect({ token: await foreignToken() })).body).toEqual({ active: false });
      expect((await introspect({ token: await foreignToken({ iat: 1_700_000_000, exp: 1_700_000_300 }) })).body).toEqual({ active: false });
    });

    it('answers inactive for an unsecured token (alg "none")', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', kid: await serverKid(), typ: 'at+jwt' }));
      const payload = base64url.encode(JSON.stringify(claims()));
      expect((await introspect({ token: `${header}.${payload}.`, token_type_hint: 'access_token' })).body).toEqual({ active: false });
    });

    it('answers invalid_request (400) when the token is missing, empty or given twice, or the body is not a form', async () => {
      for (const body of ['', 'token=', 'token_type_hint=access_token', 'token=a&token=b']) {
        const answer = await introspect(body);
        expect([answer.status, answer.body['error']]).toEqual([400, 'invalid_request']);
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
      const json = await api.post('/oauth2/introspect', { token: 'x' });
      expect([json.status, json.body['error']]).toEqual([400, 'invalid_request']);
    });
  });

  it('keeps the rest of the API JSON-only: a form body elsewhere is 415', async () => {
    const answer = await api.call('POST', '/v1/devices', 'deviceId=x&publicKey=y', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(415);
    expect(answer.body['code']).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
