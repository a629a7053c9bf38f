import { type RequestSigningOptions, signRequest } from '@m2m-trust/sdk';

import { Api, type Device, newDevice, register } from './support/client';
import { outputThrough } from './support/logs';
import { type RunningServer, startServer } from './support/server';

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
