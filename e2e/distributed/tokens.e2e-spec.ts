import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

import { GrpcApi } from '../grpc-client';
import { Api, authenticate, clientAssertion, newDevice, register } from '../support/client';
import { type Cluster, startCluster } from './support/cluster';

interface Jwks {
  keys: { kid: string }[];
}

/**
 * The challenge service holds the token signing ring in its schema: every
 * instance publishes the same keys and names the same issuer; the gateways
 * pass its HTTP routes (OAuth, JWKS, GET /v1/me, lockouts) through.
 */
describe('distributed mode: access-token keys shared by challenge-service instances', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ name: 'tokens', challengeInstances: 2, gateways: 2 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('publishes one ring from every instance', async () => {
    const [first, second] = await Promise.all(cluster.challenges.map((instance) => new Api(instance.url, null).get<Jwks>('/.well-known/jwks.json')));
    expect(first?.status).toBe(200);
    expect(first?.body.keys).toHaveLength(1);
    expect(second?.body).toEqual(first?.body);
  });

  it('names the configured public issuer, not the instance address, in the metadata', async () => {
    for (const instance of cluster.challenges) {
      const answer = await new Api(instance.url, null).get('/.well-known/oauth-authorization-server');
      expect(answer.body).toMatchObject({ issuer: cluster.audience, jwks_uri: `${cluster.audience}/.well-known/jwks.json` });
    }
  });

  it('introspects with the API key: garbage is inactive, a missing token invalid_request', async () => {
    const api = new Api(cluster.challenges[1]!.url, cluster.adminKey);
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await api.call('POST', '/oauth2/introspect', 'token=garbage', headers)).body).toEqual({ active: false });
    const missing = await api.call('POST', '/oauth2/introspect', '', headers);
    expect([missing.status, missing.body['error']]).toEqual([400, 'invalid_request']);
  });

  it('serves the whole token flow through the gateways: a token from one verifies and introspects through the other', async () => {
    const [one, two] = cluster.gateways.map((gateway) => new Api(gateway.url, cluster.adminKey));
    const device = newDevice('dist-token');
    expect((await register(one!, device)).status).toBe(201);

    const verified = await authenticate(one!, device);
    expect(verified.body).toMatchObject({ verified: true, tokenType: 'Bearer', expiresIn: 300 });
    const viaChallenge = verified.body['accessToken'] as string;

    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(device.deviceId)
      .setSubject(device.deviceId)
      .setAudience(`${cluster.audience}/oauth2/token`)
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(device.privateKey);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
    const granted = await two!.call<{ access_token: string }>('POST', '/oauth2/token', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(granted.status).toBe(200);

    // The same grant over the gateway's gRPC, passed on to the challenge service.
    const grpc = new GrpcApi(cluster.gateways[0]!.grpcUrl, null);
    try {
      const overGrpc = await grpc.requestToken(
        await new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({ alg: 'EdDSA' })
          .setIssuer(device.deviceId)
          .setSubject(device.deviceId)
          .setAudience(cluster.audience)
          .setExpirationTime('60s')
          .sign(device.privateKey),
      );
      expect(overGrpc.ok && overGrpc.value.tokenType).toBe('Bearer');
    } finally {
      grpc.close();
    }

    const jwks = await new Api(cluster.gateways[1]!.url, null).get<Jwks>('/.well-known/jwks.json');
    expect(jwks.body.keys).toHaveLength(1);
    for (const token of [viaChallenge, granted.body.access_token]) {
      const me = await new Api(cluster.gateways[1]!.url, token).get('/v1/me');
      expect(me.body).toMatchObject({ deviceId: device.deviceId, authentication: { method: 'bearer' } });
      const introspected = await one!.call('POST', '/oauth2/introspect', `token=${token}`, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(introspected.body).toMatchObject({ active: true, sub: device.deviceId });
    }
    expect((await two!.get(`/v1/devices/${device.deviceId}/lockout`)).body).toMatchObject({ locked: false, consecutiveFailures: 0 });

    expect((await one!.post(`/v1/devices/${device.deviceId}/revoke`, {})).status).toBe(200);
    const after = await two!.call('POST', '/oauth2/introspect', `token=${viaChallenge}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(after.body).toEqual({ active: false });
  });

  it('one client assertion raced through both gateways to both instances: one token, every other caller 401 invalid_client', async () => {
    const [one] = cluster.gateways.map((gateway) => new Api(gateway.url, cluster.adminKey));
    const device = newDevice('dist-race');
    expect((await register(one!, device)).status).toBe(201);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(device, cluster.audience),
    }).toString();
    const answers = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const response = await fetch(`${cluster.gateways[i % 2]!.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
        const body = (await response.json()) as Record<string, unknown>;
        return { status: response.status, error: body['error'] ?? null, challenge: response.headers.get('www-authenticate') };
      }),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual(
      Array.from({ length: 23 }, () => ({ status: 401, error: 'invalid_client', challenge: 'PrivateKeyJwt realm="m2m-trust"' })),
    );
  });

  it('documents the whole public API in the gateway\'s OpenAPI document, the routes it passes through too', async () => {
    const document = await new Api(cluster.gateways[0]!.url, null).get<{ openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> }>('/openapi.json');
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/devices', '/v1/challenges', '/v1/me', '/oauth2/token', '/oauth2/introspect', '/.well-known/jwks.json', '/v1/api-keys', '/epcis/events', '/epcis/queries']),
    );
    expect(document.body.paths['/v1/me']?.['get']?.security).toEqual([{ accessToken: [] }, { httpSignature: [] }]);
  });

  it('passes each 401 challenge through the gateways: the device routes\' and the audit service\'s', async () => {
    const me = await fetch(`${cluster.gateways[1]!.url}/v1/me`, { headers: { authorization: 'Bearer not-a-token' } });
    expect([me.status, me.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="m2m-trust", error="invalid_token", Signature realm="m2m-trust", alg="ed25519"']);
    const events = await fetch(`${cluster.gateways[0]!.url}/epcis/events`);
    expect([events.status, events.headers.get('www-authenticate')]).toEqual([401, 'ApiKey realm="m2m-trust", header="X-API-Key", Bearer realm="m2m-trust"']);
  });
});
