import { createPublicKey, randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import * as oidc from 'openid-client';

import { GrpcApi, grpcTargetOf, trailer } from './grpc-client';
import { Api, authenticate, clientAssertion, type Device, newDevice, register } from './support/client';
import { type RunningServer, startServerWithDevice, WITHOUT_ABUSE_LIMITS } from './support/server';

type EpcisEvent = Record<string, unknown>;

describe('OAuth 2.0 client credentials with private_key_jwt', () => {
  let server: RunningServer;
  let api: Api;
  let device: Device;

  beforeAll(async () => ({ server, api, device } = await startServerWithDevice('oauth', WITHOUT_ABUSE_LIMITS)));
  afterAll(() => server.stop());

  const assertion = (claims: Record<string, unknown> = {}, signer: Device = device, options: { expiresIn?: number; aud?: string } = {}) =>
    clientAssertion(device, options.aud ?? `${server.url}/oauth2/token`, { claims, signer: signer.privateKey, ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }) });
  const tokenRequest = async (form: Record<string, string>) => {
    const response = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  const grant = async (clientAssertion: string) =>
    tokenRequest({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    });
  const introspect = async (token: string) => {
    const response = await fetch(`${server.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.adminKey}` },
      body: new URLSearchParams({ token }).toString(),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const audited = async (query: string) =>
    (await api.get<{ epcisBody: { queryResults: { resultsBody: { eventList: EpcisEvent[] } } } }>(
      `/epcis/events?MATCH_epc=urn:m2m-trust:device:${device.deviceId}&EQ_m2m:method=private_key_jwt&perPage=100${query}`,
    )).body.epcisBody.queryResults.resultsBody.eventList;
  const thumbprint = async (subject: Device) => calculateJwkThumbprint(await exportJWK(createPublicKey(subject.privateKey)), 'sha256');

  it('issues an EdDSA access token bound to the device key, verifiable with the published JWKS', async () => {
    const answer = await grant(await assertion());
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(answer.body['access_token'] as string, jwks, { issuer: server.url, audience: server.url });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ sub: device.deviceId, device_key_thumbprint: await thumbprint(device) });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(await introspect(answer.body['access_token'] as string)).toMatchObject({ active: true, sub: device.deviceId });

    const success = (await audited('&EQ_disposition=conformant')).find((event) => event['m2m:tokenId'] === payload.jti);
    expect(success).toMatchObject({ bizStep: 'inspecting', 'm2m:method': 'private_key_jwt', 'm2m:actor': `device:${device.deviceId}` });
  });

  it('refuses a reused assertion, a forged one, expired and overlong ones, and wrong claims, auditing each', async () => {
    const once = await assertion();
    expect((await grant(once)).status).toBe(200);
    const cases: [string, string][] = [
      [once, 'ASSERTION_REUSED'],
      [await assertion({}, newDevice('forger')), 'SIGNATURE_INVALID'],
      [await assertion({}, device, { expiresIn: -60 }), 'ASSERTION_EXPIRED'],
      [await assertion({}, device, { expiresIn: 3600 }), 'ASSERTION_EXPIRED'],
      [await assertion({}, device, { aud: 'https://somewhere.else.example' }), 'ASSERTION_INVALID'],
      [await assertion({ jti: undefined }), 'ASSERTION_INVALID'],
    ];
    for (const [clientAssertion, reason] of cases) {
      const answer = await grant(clientAssertion);
      expect([reason, answer.status, answer.body['error']]).toEqual([reason, 401, 'invalid_client']);
      expect(answer.body['error_description']).toEqual(expect.any(String));
    }
    const refusals = await audited('&EQ_disposition=non_conformant');
    expect(refusals.map((event) => event['m2m:reason']).sort()).toEqual(cases.map(([, reason]) => reason).sort());
  });

  it('answers RFC 6749 errors for malformed requests; an unknown client is refused as a forged one is, and audited', async () => {
    expect((await tokenRequest({ grant_type: 'password' })).body).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await tokenRequest({})).body).toMatchObject({ error: 'invalid_request' });
    const asJson = await api.call('POST', '/oauth2/token', { grant_type: 'client_credentials' });
    expect([asJson.status, asJson.body['error']]).toEqual([400, 'invalid_request']);
    expect((await tokenRequest({ grant_type: 'client_credentials' })).body).toMatchObject({ error: 'invalid_client' });
    const hs256 = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: device.deviceId, sub: device.deviceId })).toString('base64url')}.x`;
    expect((await grant(hs256)).body).toMatchObject({ error: 'invalid_client' });
    const stranger = newDevice('stranger');
    const unknown = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(stranger.deviceId)
      .setSubject(stranger.deviceId)
      .setAudience(server.url)
      .setExpirationTime('1m')
      .sign(stranger.privateKey);
    expect(await grant(unknown)).toMatchObject({
      status: 401,
      body: { error: 'invalid_client', error_description: 'The client assertion is not signed by the key registered for this device' },
    });
    const events = await api.get<{ epcisBody: { queryResults: { resultsBody: { eventList: EpcisEvent[] } } } }>(
      `/epcis/events?MATCH_epc=urn:m2m-trust:device:${stranger.deviceId}`,
    );
    expect(events.body.epcisBody.queryResults.resultsBody.eventList).toMatchObject([
      { disposition: 'non_conformant', 'm2m:method': 'private_key_jwt', 'm2m:reason': 'DEVICE_NOT_FOUND' },
    ]);
  });

  it('serves the same grant over gRPC (m2m.v1.Authentication/RequestToken): a token, then the reuse refused and audited', async () => {
    const grpc = new GrpcApi(grpcTargetOf(server.output()), null);
    try {
      const clientAssertion = await assertion();
      const granted = await grpc.requestToken(clientAssertion);
      expect(granted.ok && granted.value).toMatchObject({ tokenType: 'Bearer', expiresIn: 300 });
      expect(await introspect(granted.ok ? granted.value.accessToken : '')).toMatchObject({ active: true, sub: device.deviceId });
      const again = await grpc.requestToken(clientAssertion);
      expect(again.ok ? 'granted' : [again.code, trailer(again, 'm2m-error-code')]).toEqual([status.UNAUTHENTICATED, 'UNAUTHORIZED']);
      const empty = await grpc.requestToken('');
      expect(empty.ok ? 'granted' : trailer(empty, 'm2m-error-code')).toBe('VALIDATION_FAILED');
    } finally {
      grpc.close();
    }
  });

  it('interoperates with a standard OAuth client library (openid-client): discovery, then private_key_jwt', async () => {
    const { privateKey } = await import('node:crypto').then(({ webcrypto }) =>
      webcrypto.subtle.importKey('pkcs8', device.privateKey.export({ format: 'der', type: 'pkcs8' }), { name: 'Ed25519' }, false, ['sign']).then((key) => ({ privateKey: key })),
    );
    const config = await oidc.discovery(new URL(server.url), device.deviceId, undefined, oidc.PrivateKeyJwt(privateKey), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });
    const tokens = await oidc.clientCredentialsGrant(config).catch((error: { cause?: unknown }) => {
      throw new Error(`openid-client was refused: ${JSON.stringify(error.cause)}`);
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(300);
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, sub: device.deviceId });
  });

  it('hands out the same kind of token on a challenge-response verify, and introspection turns inactive once the device is revoked', async () => {
    const subject = newDevice('oauth-revoked');
    expect((await register(api, subject)).status).toBe(201);
    const verified = await authenticate(api, subject);
    expect(verified.body).toMatchObject({ verified: true, tokenType: 'Bearer', expiresIn: 300 });
    const token = verified.body['accessToken'] as string;
    expect(await introspect(token)).toMatchObject({ active: true, sub: subject.deviceId, device_key_thumbprint: await thumbprint(subject) });
    const asDevice = new Api(server.url, token);
    expect((await asDevice.get('/v1/me')).body).toMatchObject({ deviceId: subject.deviceId, authentication: { method: 'bearer' } });
    expect((await api.post(`/v1/devices/${subject.deviceId}/revoke`, { reason: 'stolen' })).status).toBe(200);
    expect(await introspect(token)).toEqual({ active: false });
    expect((await asDevice.get('/v1/me')).status).toBe(401);
  });
});
