import { status } from '@grpc/grpc-js';

import { GrpcApi, grpcTargetOf, trailer } from './grpc-client';
import { type Answer, Api, authenticate, newDevice, register } from './support/client';
import { type RunningServer, startServer } from './support/server';

const limits = (address: number, apiKey: number, device = 0): Record<string, string> => ({
  M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: String(address),
  M2M_RATE_LIMIT_API_KEY_PER_MINUTE: String(apiKey),
  M2M_RATE_LIMIT_DEVICE_PER_MINUTE: String(device),
});

/** A 429 as docs/abuse-limits.md shows it: problem+json RATE_LIMITED, Retry-After and the draft's RateLimit-* fields. */
function expectRateLimited(answer: Answer, limit: number): void {
  expect(answer.status).toBe(429);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', type: 'urn:m2m-trust:problem:rate-limited' });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(answer.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(answer.headers.get('ratelimit-remaining')).toBe('0');
  expect(answer.headers.get('ratelimit-reset')).toBe(String(retryAfter));
  expect(answer.headers.get('ratelimit-policy')).toBe(`${limit};w=60`);
}

describe('rate limits (embedded gateway)', () => {
  describe('per client address on the authentication routes, per API key on the others', () => {
    const ADDRESS_LIMIT = 4;
    const API_KEY_LIMIT = 3;
    let server: RunningServer;
    let admin: Api;
    let device: Api;

    beforeAll(async () => {
      server = await startServer({ env: limits(ADDRESS_LIMIT, API_KEY_LIMIT) });
      admin = new Api(server.url, server.adminKey);
      device = new Api(server.url, null);
    });
    afterAll(() => server.stop());

    it('answers challenge and verify until the address has spent its budget, then 429 with when to retry', async () => {
      const sensor = newDevice('rate');
      expect((await register(admin, sensor)).status).toBe(201); // one of the API key's budget

      // Challenge and verify draw on one budget per address: 2 + 1 of 4.
      expect((await authenticate(device, sensor)).status).toBe(200);
      const challenge = await device.post('/v1/challenges', { deviceId: sensor.deviceId });
      expect(challenge.status).toBe(201);
      expect(challenge.headers.get('ratelimit-limit')).toBe(String(ADDRESS_LIMIT));
      expect(challenge.headers.get('ratelimit-remaining')).toBe('1');
      expect(challenge.headers.get('ratelimit-policy')).toBe(`${ADDRESS_LIMIT};w=60`);
      // A challenge for an unknown device (a decoy) still counts: probing is what the limit is for.
      expect((await device.post('/v1/challenges', { deviceId: 'no-such-device' })).status).toBe(201);

      const refused = await device.post('/v1/challenges', { deviceId: sensor.deviceId });
      expectRateLimited(refused, ADDRESS_LIMIT);
      expect((refused.body as Record<string, unknown>)['detail']).toMatch(/from this client address/);
      expectRateLimited(await device.post('/v1/challenges/verify', { challengeId: 'c', signature: 's' }), ADDRESS_LIMIT);
    });

    it('does not take X-Forwarded-For from a client when no proxy is trusted', async () => {
      expectRateLimited(await device.post('/v1/challenges', { deviceId: 'x' }, { 'x-forwarded-for': '198.51.100.9' }), ADDRESS_LIMIT);
    });

    it('counts management calls per API key, with RateLimit-* on the admitted ones, and not unauthenticated ones', async () => {
      // The registration above took one of three.
      const first = await admin.get('/v1/devices');
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      expect((await admin.get('/v1/devices')).status).toBe(200);
      expectRateLimited(await admin.get('/v1/devices'), API_KEY_LIMIT);
      expectRateLimited(await admin.get('/epcis/events'), API_KEY_LIMIT);

      // A wrong key proves nothing: 401, not counted, not refused for the admin's budget.
      expect((await new Api(server.url, 'not-the-admin-key-0123456789').get('/v1/devices')).status).toBe(401);
      // Probes are neither.
      expect((await device.get('/health')).status).toBe(200);
    });

    it('refuses gRPC calls once the budgets are spent: RESOURCE_EXHAUSTED with retry-after and the error code', async () => {
      const grpcDevice = new GrpcApi(grpcTargetOf(server.output()), null);
      const grpcAdmin = new GrpcApi(grpcTargetOf(server.output()), server.adminKey);
      try {
        // The same loopback address as the HTTP calls above: one budget per address, whatever the transport.
        const challenge = await grpcDevice.initiateChallenge('any-device');
        expect(challenge).toMatchObject({ ok: false, code: status.RESOURCE_EXHAUSTED });
        expect(trailer(challenge, 'm2m-error-code')).toBe('RATE_LIMITED');
        expect(Number(trailer(challenge, 'retry-after'))).toBeGreaterThanOrEqual(1);

        const listed = await grpcAdmin.listDevices({});
        expect(listed).toMatchObject({ ok: false, code: status.RESOURCE_EXHAUSTED });
        expect(trailer(listed, 'm2m-error-code')).toBe('RATE_LIMITED');
      } finally {
        grpcDevice.close();
        grpcAdmin.close();
      }
    });
  });

  it('limits gRPC InitiateChallenge by the peer address on its own', async () => {
    const server = await startServer({ env: limits(2, 0) });
    const grpc = new GrpcApi(grpcTargetOf(server.output()), null);
    try {
      expect(await grpc.initiateChallenge('unknown-device')).toMatchObject({ ok: true });
      expect(await grpc.initiateChallenge('unknown-device')).toMatchObject({ ok: true });
      const refused = await grpc.initiateChallenge('unknown-device');
      expect(refused).toMatchObject({ ok: false, code: status.RESOURCE_EXHAUSTED });
      expect(refused.ok ? null : refused.details).toMatch(/from this client address: at most 2 per 60 s/);
      const retryAfter = Number(trailer(refused, 'retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(trailer(refused, 'm2m-error-code')).toBe('RATE_LIMITED');
    } finally {
      grpc.close();
      await server.stop();
    }
  });

  it('turns a limit off at 0: no refusal, no RateLimit-* fields', async () => {
    const server = await startServer({ env: limits(0, 0) });
    try {
      const admin = new Api(server.url, server.adminKey);
      const device = new Api(server.url, null);
      for (let i = 0; i < 30; i++) {
        const challenge = await device.post('/v1/challenges', { deviceId: 'unknown-device' });
        expect(challenge.status).toBe(201);
        expect(challenge.headers.get('ratelimit-limit')).toBeNull();
        const listed = await admin.get('/v1/devices');
        expect(listed.status).toBe(200);
        expect(listed.headers.get('ratelimit-limit')).toBeNull();
      }
    } finally {
      await server.stop();
    }
  });

  it('counts the address X-Forwarded-For names when the sender is a trusted proxy (M2M_TRUST_PROXY)', async () => {
    const server = await startServer({ env: { ...limits(1, 0), M2M_TRUST_PROXY: '127.0.0.1' } });
    try {
      const viaProxy = new Api(server.url, null);
      const from = (client: string) => viaProxy.post('/v1/challenges', { deviceId: 'unknown-device' }, { 'x-forwarded-for': client });
      expect((await from('203.0.113.1')).status).toBe(201);
      expect((await from('203.0.113.2')).status).toBe(201);
      expectRateLimited(await from('203.0.113.1'), 1);
      // IPv6 clients count by their /64.
      expect((await from('2001:db8:1:2::1')).status).toBe(201);
      expectRateLimited(await from('2001:db8:1:2::ffff'), 1);
    } finally {
      await server.stop();
    }
  });

  it("limits each device by the requests signed with its key: a verify, a replay, a token; other devices go on", async () => {
    const server = await startServer({ env: limits(0, 0, 4) });
    try {
      const admin = new Api(server.url, server.adminKey);
      const device = new Api(server.url, null);
      const [sensor, neighbour] = [newDevice('rate-dev'), newDevice('rate-dev')];
      expect((await register(admin, sensor)).status).toBe(201);
      expect((await register(admin, neighbour)).status).toBe(201);

      // Challenges are anyone's to ask for: they count nowhere per device (a stranger could otherwise spend the budget).
      for (let i = 0; i < 6; i++) expect((await device.post('/v1/challenges', { deviceId: sensor.deviceId })).status).toBe(201);
      // 4 a minute: each verify with a valid signature counts 1, a replay with one too.
      expect((await authenticate(device, sensor)).body).toMatchObject({ verified: true });
      const second = await device.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: sensor.deviceId });
      const signature = sensor.signHex(second.body.nonce);
      expect((await device.post('/v1/challenges/verify', { challengeId: second.body.id, signature })).body).toMatchObject({ verified: true });
      expect((await device.post('/v1/challenges/verify', { challengeId: second.body.id, signature })).body).toEqual({ verified: false, reason: 'CHALLENGE_ALREADY_USED' });
      // A wrong signature spends nothing of the device's.
      const third = await device.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: sensor.deviceId });
      expect((await device.post('/v1/challenges/verify', { challengeId: third.body.id, signature: '00'.repeat(64) })).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
      expect((await authenticate(device, sensor)).body).toMatchObject({ verified: true });

      const fifth = await device.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: sensor.deviceId });
      expectRateLimited(await device.post('/v1/challenges/verify', { challengeId: fifth.body.id, signature: sensor.signHex(fifth.body.nonce) }), 4);
      expect((await authenticate(device, neighbour)).body).toMatchObject({ verified: true });
    } finally {
      await server.stop();
    }
  });
});
