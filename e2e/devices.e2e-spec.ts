import { Api, newDevice, register } from './support/client';
import { REFUSED_KEY_VECTORS } from './support/key-vectors';
import { type RunningServer, startServer } from './support/server';

describe('devices API', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  describe('POST /v1/devices', () => {
    it('registers a device and answers 201 with it, key in lowercase hex', async () => {
      const device = newDevice('scanner');
      const answer = await api.post('/v1/devices', {
        deviceId: device.deviceId,
        publicKey: device.publicKeyHex.toUpperCase(),
        label: 'Factory Floor Scanner #3',
        metadata: { floor: 3 },
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({
        deviceId: device.deviceId,
        publicKey: device.publicKeyHex,
        label: 'Factory Floor Scanner #3',
        metadata: { floor: 3 },
        status: 'active',
      });
      expect(Date.parse(answer.body['createdAt'] as string)).not.toBeNaN();
      expect(answer.body).not.toHaveProperty('revokedAt');
    });

    it('registers and finds a device id of the full 128 characters, with every allowed character', async () => {
      const device = newDevice();
      const deviceId = `A9._:-${'x'.repeat(122)}`;
      expect((await api.post('/v1/devices', { deviceId, publicKey: device.publicKeyHex })).status).toBe(201);
      const found = await api.get(`/v1/devices/${deviceId}`);
      expect(found.status).toBe(200);
      expect(found.body['deviceId']).toBe(deviceId);
    });

    it('accepts the public key as base64url', async () => {
      const device = newDevice();
      const answer = await api.post('/v1/devices', {
        deviceId: device.deviceId,
        publicKey: Buffer.from(device.publicKeyHex, 'hex').toString('base64url'),
      });
      expect(answer.status).toBe(201);
      expect(answer.body['publicKey']).toBe(device.publicKeyHex);
      expect(answer.body['label']).toBe('');
    });

    it('answers 409 DEVICE_EXISTS for a second registration of the id, and changes nothing', async () => {
      const device = newDevice();
      await register(api, device);
      const again = await register(api, newDevice(), { deviceId: device.deviceId });
      expect(again.status).toBe(409);
      expect(again.body['code']).toBe('DEVICE_EXISTS');
      const stored = await api.get(`/v1/devices/${device.deviceId}`);
      expect(stored.body['publicKey']).toBe(device.publicKeyHex);
    });

    it('answers 409 DUPLICATE_PUBLIC_KEY for a key registered to another device', async () => {
      const first = newDevice();
      await register(api, first);
      const other = newDevice();
      const answer = await api.post('/v1/devices', { deviceId: other.deviceId, publicKey: first.publicKeyHex });
      expect(answer.status).toBe(409);
      expect(answer.body['code']).toBe('DUPLICATE_PUBLIC_KEY');
      expect((await api.get(`/v1/devices/${other.deviceId}`)).status).toBe(404);
    });

    it('holds DUPLICATE_PUBLIC_KEY under concurrent registrations of one key', async () => {
      const key = newDevice();
      const ids = Array.from({ length: 8 }, () => newDevice().deviceId);
      const answers = await Promise.all(ids.map((deviceId) => api.post('/v1/devices', { deviceId, publicKey: key.publicKeyHex })));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409).every((a) => a.body['code'] === 'DUPLICATE_PUBLIC_KEY')).toBe(true);
    });

    it.each([
      ...REFUSED_KEY_VECTORS.map((vector): [string, { publicKey: string }, string] => [`the refused key vector "${vector.name}"`, { publicKey: vector.publicKey }, vector.expected]),
      ['a small-order public key', { publicKey: `01${'00'.repeat(31)}` }, 'INVALID_PUBLIC_KEY'],
      ['a non-canonical point encoding', { publicKey: `ed${'ff'.repeat(30)}7f` }, 'INVALID_PUBLIC_KEY'],
      ['a key of the wrong length', { publicKey: 'abcd' }, 'VALIDATION_FAILED'],
      ['a device id with a space', { deviceId: 'bad id' }, 'VALIDATION_FAILED'],
      ['a device id starting with a dot', { deviceId: '.hidden' }, 'VALIDATION_FAILED'],
      ['a device id of 129 characters', { deviceId: `a${'b'.repeat(128)}` }, 'VALIDATION_FAILED'],
      ['an unknown field', { color: 'red' }, 'VALIDATION_FAILED'],
      ['a label that is not a string', { label: 42 }, 'VALIDATION_FAILED'],
      ['metadata that is not an object', { metadata: [1, 2] }, 'VALIDATION_FAILED'],
    ])('answers 400 for %s, as problem+json, and registers nothing', async (_, override, code) => {
      const device = newDevice();
      const body = { deviceId: device.deviceId, publicKey: device.publicKeyHex, ...override };
      const answer = await api.post('/v1/devices', body);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 400, code, requestId: expect.any(String), title: expect.any(String) });
      if (/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(body.deviceId)) {
        expect((await api.get(`/v1/devices/${encodeURIComponent(body.deviceId)}`)).status).toBe(404);
      }
    });

    it.each([
      ['a PEM public key sent as it is', `-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA5phmlYu+4FmX/kWi33y8C1h1o93hT19eR6N1HDXYdAk=\n-----END PUBLIC KEY-----\n`, 'VALIDATION_FAILED'],
      ['a key of the wrong length', 'abcd', 'VALIDATION_FAILED'],
      ['a key of the right length in neither hex nor base64url', 'z'.repeat(64), 'VALIDATION_FAILED'],
      ['32 bytes that are no point of the curve', `ed${'ff'.repeat(30)}7f`, 'INVALID_PUBLIC_KEY'],
    ])('answers %s with how to give the key', async (_, publicKey, code) => {
      const answer = await api.post('/v1/devices', { deviceId: newDevice().deviceId, publicKey });
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe(code);
      const detail = answer.body['detail'] as string;
      expect(detail).toContain('publicKey');
      expect(detail).toContain('give the raw 32-byte Ed25519 public key as 64 hex characters');
      expect(detail).toContain('openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64');
    });

    it('answers 400 for a body that is not JSON', async () => {
      const answer = await api.post('/v1/devices', '{"deviceId":', { 'content-type': 'application/json' });
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe('VALIDATION_FAILED');
    });

    it('answers 415 for a body that is not declared as JSON', async () => {
      const answer = await api.call('POST', '/v1/devices', 'deviceId=x', { 'content-type': 'text/plain' });
      expect(answer.status).toBe(415);
      expect(answer.body['code']).toBe('UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('API keys', () => {
    it.each([
      ['no key', {}],
      ['a wrong bearer key', { authorization: 'Bearer not-the-key' }],
      ['a wrong X-API-Key', { 'x-api-key': 'not-the-key' }],
      ['a malformed Authorization header', { authorization: 'Basic abc' }],
    ])('answers 401 UNAUTHORIZED with %s', async (_, headers) => {
      const anonymous = new Api(server.url, null);
      const answer = await anonymous.get('/v1/devices', headers);
      expect(answer.status).toBe(401);
      expect(answer.body['code']).toBe('UNAUTHORIZED');
    });

    it('accepts the key as X-API-Key', async () => {
      const anonymous = new Api(server.url, null);
      expect((await anonymous.get('/v1/devices', { 'x-api-key': server.adminKey })).status).toBe(200);
    });

    it('refuses registration without a key and registers nothing', async () => {
      const device = newDevice();
      const answer = await new Api(server.url, null).post('/v1/devices', { deviceId: device.deviceId, publicKey: device.publicKeyHex });
      expect(answer.status).toBe(401);
      expect((await api.get(`/v1/devices/${device.deviceId}`)).status).toBe(404);
    });
  });

  describe('GET /v1/devices/{deviceId}', () => {
    it('answers 404 DEVICE_NOT_FOUND for an unknown device', async () => {
      const answer = await api.get('/v1/devices/never-registered');
      expect(answer.status).toBe(404);
      expect(answer.body['code']).toBe('DEVICE_NOT_FOUND');
    });
  });

  describe('POST /v1/devices/{deviceId}/revoke', () => {
    it('revokes, and revoking twice answers 200 with the same device', async () => {
      const device = newDevice();
      await register(api, device);
      const first = await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: 'lost in transit' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ deviceId: device.deviceId, status: 'revoked', revocationReason: 'lost in transit' });
      expect(Date.parse(first.body['revokedAt'] as string)).not.toBeNaN();
      const second = await api.post(`/v1/devices/${device.deviceId}/revoke`, {});
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
    });

    it('accepts an empty body', async () => {
      const device = newDevice();
      await register(api, device);
      expect((await api.call('POST', `/v1/devices/${device.deviceId}/revoke`)).status).toBe(200);
    });

    it('answers 404 for an unknown device', async () => {
      const answer = await api.post('/v1/devices/never-registered/revoke', {});
      expect(answer.status).toBe(404);
      expect(answer.body['code']).toBe('DEVICE_NOT_FOUND');
    });
  });

  describe('GET /v1/devices', () => {
    it('pages through every device in a stable order with a cursor, and filters by status', async () => {
      const mine = Array.from({ length: 7 }, () => newDevice('page'));
      for (const device of mine) expect((await register(api, device)).status).toBe(201);
      await api.post(`/v1/devices/${mine[2]!.deviceId}/revoke`, {});

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: { deviceId: string }[]; nextCursor: string | null } } = await api.get(
          `/v1/devices?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.body.items.map((d) => d.deviceId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      const order = mine.map((d) => seen.indexOf(d.deviceId));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);

      const revoked = await api.get<{ items: { deviceId: string; status: string }[] }>('/v1/devices?status=revoked&limit=1000');
      expect(revoked.body.items.every((d) => d.status === 'revoked')).toBe(true);
      expect(revoked.body.items.map((d) => d.deviceId)).toContain(mine[2]!.deviceId);
      const active = await api.get<{ items: { deviceId: string }[] }>('/v1/devices?status=active&limit=1000');
      expect(active.body.items.map((d) => d.deviceId)).not.toContain(mine[2]!.deviceId);
    });

    it('names the allowed values of status', async () => {
      const answer = await api.get('/v1/devices?status=lost');
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'Invalid query: /status must be one of: active, revoked' });
      expect(answer.body['errors']).toEqual([{ path: '/status', message: 'must be one of: active, revoked' }]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['status=lost', 'status'],
      ['cursor=%3D%3D', 'cursor'],
      ['cursor=bm90LW91cnM', 'cursor'],
      ['sort=desc', 'unknown'],
    ])('answers 400 for %s', async (query) => {
      const answer = await api.get(`/v1/devices?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe('VALIDATION_FAILED');
    });
  });
});
