import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { Api, authenticate, type Challenge, type Device, newDevice, register } from './support/client';
import { type RunningServer, startServer } from './support/server';

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** The same signature with S replaced by S + L: valid under a lax verifier, refused here. */
function malleate(signatureHex: string): string {
  const sig = Buffer.from(signatureHex, 'hex');
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += L;
  for (let i = 32; i < 64; i++, s >>= 8n) sig[i] = Number(s & 0xffn);
  return sig.toString('hex');
}


describe('challenge-response authentication', () => {
  let server: RunningServer;
  let api: Api;
  let device: Device;

  beforeAll(async () => {
    server = await startServer({ env: { M2M_AUDIENCE: 'https://auth.test.example' } });
    api = new Api(server.url, server.adminKey);
    device = newDevice('auth');
    expect((await register(api, device)).status).toBe(201);
  });
  afterAll(() => server.stop());

  const challenge = async (deviceId = device.deviceId) => api.post<Challenge>('/v1/challenges', { deviceId });
  const verify = (challengeId: string, signature: string) => api.post('/v1/challenges/verify', { challengeId, signature });

  it('issues a challenge whose nonce names the service, the challenge, the device and the expiry', async () => {
    const asked = Date.now();
    const answer = await challenge();
    const answered = Date.now();
    expect(answer.status).toBe(201);
    const { id, nonce, algorithm, expiresAt, deviceId } = answer.body;
    expect(algorithm).toBe('Ed25519');
    expect(deviceId).toBe(device.deviceId);
    // 60 s (the default TTL) after the service issued it, which was while the request was out: however long that took.
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(asked + 60_000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(answered + 60_000);
    expect(nonce).toBe(
      `m2m-trust-challenge/v1;aud=https://auth.test.example;cid=${id};did=${device.deviceId};rnd=${nonce.split(';rnd=')[1]!.split(';')[0]};exp=${expiresAt}`,
    );
    expect(nonce).toMatch(/;rnd=[A-Za-z0-9_-]{43};/);
  });

  it('authenticates a device that signs the nonce (no API key needed)', async () => {
    const deviceApi = new Api(server.url, null);
    const answer = await authenticate(deviceApi, device);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ verified: true, deviceId: device.deviceId, verifiedAt: expect.any(String), accessToken: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'Bearer', expiresIn: 300 });
  });

  it('accepts the signature as base64url', async () => {
    const c = (await challenge()).body;
    const signature = Buffer.from(device.signHex(c.nonce), 'hex').toString('base64url');
    expect((await verify(c.id, signature)).body).toMatchObject({ verified: true });
  });

  it('refuses a signature by another key', async () => {
    const c = (await challenge()).body;
    expect((await verify(c.id, newDevice().signHex(c.nonce))).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
  });

  it('refuses a signature made for another challenge', async () => {
    const first = (await challenge()).body;
    const second = (await challenge()).body;
    expect((await verify(second.id, device.signHex(first.nonce))).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
  });

  it('refuses a replay: the first attempt consumed the challenge', async () => {
    const c = (await challenge()).body;
    const signature = device.signHex(c.nonce);
    expect((await verify(c.id, signature)).body).toMatchObject({ verified: true });
    expect((await verify(c.id, signature)).body).toEqual({ verified: false, reason: 'CHALLENGE_ALREADY_USED' });
  });

  it('consumes the challenge on a failed attempt too', async () => {
    const c = (await challenge()).body;
    expect((await verify(c.id, newDevice().signHex(c.nonce))).body).toMatchObject({ verified: false });
    expect((await verify(c.id, device.signHex(c.nonce))).body).toEqual({ verified: false, reason: 'CHALLENGE_ALREADY_USED' });
  });

  it('lets exactly one of many concurrent verifies of one challenge succeed', async () => {
    const c = (await challenge()).body;
    const signature = device.signHex(c.nonce);
    const answers = await Promise.all(Array.from({ length: 16 }, () => verify(c.id, signature)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body['verified'] === true)).toHaveLength(1);
    expect(answers.filter((a) => a.body['reason'] === 'CHALLENGE_ALREADY_USED')).toHaveLength(15);
  });

  it('refuses a non-canonical signature (S >= L)', async () => {
    const c = (await challenge()).body;
    expect((await verify(c.id, malleate(device.signHex(c.nonce)))).body).toEqual({ verified: false, reason: 'SIGNATURE_NON_CANONICAL' });
  });

  it('answers CHALLENGE_NOT_FOUND for an unknown challenge', async () => {
    const answer = await verify('00000000-0000-4000-8000-000000000000', 'ab'.repeat(64));
    expect(answer).toMatchObject({ status: 200, body: { verified: false, reason: 'CHALLENGE_NOT_FOUND' } });
  });

  it('refuses every challenge of a revoked device, including ones issued before the revocation', async () => {
    const doomed = newDevice('doomed');
    await register(api, doomed);
    const before = (await challenge(doomed.deviceId)).body;
    expect((await api.post(`/v1/devices/${doomed.deviceId}/revoke`, { reason: 'compromised' })).status).toBe(200);
    expect((await verify(before.id, doomed.signHex(before.nonce))).body).toEqual({ verified: false, reason: 'DEVICE_REVOKED' });
    // Asked again, it gets a challenge like any device (a decoy); only its key learns that it is revoked.
    const after = await challenge(doomed.deviceId);
    expect(after.status).toBe(201);
    expect((await verify(after.body.id, doomed.signHex(after.body.nonce))).body).toEqual({ verified: false, reason: 'DEVICE_REVOKED' });
    expect((await verify((await challenge(doomed.deviceId)).body.id, '00'.repeat(64))).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
  });

  it('binds the URL it listens on as the audience when M2M_AUDIENCE is unset', async () => {
    const other = await startServer();
    try {
      const otherApi = new Api(other.url, other.adminKey);
      const d = newDevice('aud');
      await register(otherApi, d);
      const c = await otherApi.post<Challenge>('/v1/challenges', { deviceId: d.deviceId });
      expect(c.body.nonce).toContain(`;aud=${other.url};`);
      expect(other.url).not.toMatch(/:0$/);
    } finally {
      await other.stop();
    }
  });

  it('issues a challenge for an unknown device too (a decoy that never verifies), and refuses a malformed device id', async () => {
    const answer = await challenge('never-registered');
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ deviceId: 'never-registered', algorithm: 'Ed25519' });
    expect((await verify(answer.body.id, '00'.repeat(64))).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
    const malformed = await challenge('not a device id');
    expect(malformed).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it.each([
    ['a signature of the wrong length', { challengeId: '00000000-0000-4000-8000-000000000000', signature: 'abcd' }],
    ['a signature that is not hex or base64url', { challengeId: '00000000-0000-4000-8000-000000000000', signature: 'z'.repeat(128) }],
    ['a challenge id that is not a UUID', { challengeId: 'nope', signature: 'ab'.repeat(64) }],
    ['a missing signature', { challengeId: '00000000-0000-4000-8000-000000000000' }],
    ['an unknown field', { challengeId: '00000000-0000-4000-8000-000000000000', signature: 'ab'.repeat(64), extra: 1 }],
  ])('answers 400 for %s', async (_, body) => {
    const answer = await api.post('/v1/challenges/verify', body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers 400 for a challenge request with a malformed device id', async () => {
    expect((await api.post('/v1/challenges', { deviceId: '' })).status).toBe(400);
  });

  it('authenticates the documented protocol vector device end to end', async () => {
    const vectors = JSON.parse(readFileSync(resolve(__dirname, '../docs/protocol/vectors.json'), 'utf8')) as {
      valid: { publicKey: string; privateKeySeed: string }[];
    };
    const { createPrivateKey, sign } = await import('node:crypto');
    const seed = vectors.valid[1]!.privateKeySeed;
    const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed, 'hex')]), format: 'der', type: 'pkcs8' });
    const deviceId = `vector-${Date.now()}`;
    expect((await api.post('/v1/devices', { deviceId, publicKey: vectors.valid[1]!.publicKey })).status).toBe(201);
    const c = (await challenge(deviceId)).body;
    expect((await verify(c.id, sign(null, Buffer.from(c.nonce, 'utf8'), key).toString('hex'))).body).toMatchObject({ verified: true });
  });
});

describe('challenge expiry', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startServer({ env: { M2M_CHALLENGE_TTL_SECONDS: '1' } });
    api = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  it('refuses a correct signature after the challenge expired', async () => {
    const device = newDevice('slow');
    await register(api, device);
    const c = (await api.post<Challenge>('/v1/challenges', { deviceId: device.deviceId })).body;
    await new Promise((done) => setTimeout(done, Date.parse(c.expiresAt) - Date.now() + 50));
    const answer = await api.post('/v1/challenges/verify', { challengeId: c.id, signature: device.signHex(c.nonce) });
    expect(answer.body).toEqual({ verified: false, reason: 'CHALLENGE_EXPIRED' });
  });
});
