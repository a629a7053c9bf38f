import { createHash } from 'node:crypto';

import { Api } from './support/client';
import { type RunningServer, startServer } from './support/server';

interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: string;
  key?: string;
}
interface QueryDocument {
  epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } };
}

// By position, not by the last '_': base64url secrets contain '_' about every other time.
const secretOf = (key: string): string => key.slice('m2m_'.length + 24 + 1);
const KEY_FORMAT = /^m2m_([0-9a-f]{24})_[A-Za-z0-9_-]{43}$/;

describe('API keys', () => {
  let server: RunningServer;
  let admin: Api;
  const issued: string[] = [];

  const create = async (body: Record<string, unknown>, as: Api = admin): Promise<ApiKey & { key: string }> => {
    const answer = await as.post<ApiKey & { key: string }>('/v1/api-keys', body);
    if (answer.status !== 201) throw new Error(`create failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    issued.push(answer.body.key);
    return answer.body;
  };
  const list = async (): Promise<ApiKey[]> => {
    const answer = await admin.get<{ items: ApiKey[] }>('/v1/api-keys');
    expect(answer.status).toBe(200);
    return answer.body.items;
  };
  const auditOf = async (apiKeyId: string): Promise<Record<string, unknown>[]> => {
    const answer = await admin.get<QueryDocument>(`/epcis/events?MATCH_epc=${encodeURIComponent(`urn:m2m-trust:api-key:${apiKeyId}`)}`);
    expect(answer.status).toBe(200);
    return answer.body.epcisBody.queryResults.resultsBody.eventList;
  };

  beforeAll(async () => {
    server = await startServer();
    admin = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  it('creates a key, lists it without its secret, lets it act within its scopes, and refuses it once revoked', async () => {
    const created = await create({ name: 'CI pipeline', scopes: ['audit:read', 'devices:read'] });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'CI pipeline',
      scopes: ['devices:read', 'audit:read'],
      createdAt: expect.any(String),
      expiresAt: null,
      revokedAt: null,
      status: 'active',
      key: expect.stringMatching(KEY_FORMAT),
    });
    expect(KEY_FORMAT.exec(created.key)![1]).toBe(created.id);

    const listed = (await list()).find((key) => key.id === created.id);
    const { key: _secret, ...shown } = created;
    expect(listed).toEqual(shown);

    const ci = new Api(server.url, created.key);
    expect((await ci.get('/v1/devices')).status).toBe(200);
    expect((await ci.get('/epcis/events')).status).toBe(200);
    // The same key in the other header works the same.
    expect((await new Api(server.url, null).get('/v1/devices', { 'x-api-key': created.key })).status).toBe(200);
    const write = await ci.post('/v1/devices', { deviceId: 'never-registered', publicKey: 'ab'.repeat(32) });
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', detail: expect.stringContaining('devices:write') });
    expect((await ci.get('/v1/devices/never-registered')).status).toBe(404);

    const revoked = await admin.post<ApiKey>(`/v1/api-keys/${created.id}/revoke`, { reason: 'pipeline retired' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.id, status: 'revoked', revokedAt: expect.any(String) });
    expect(revoked.body).not.toHaveProperty('key');

    const refused = await ci.get('/v1/devices');
    expect(refused.status).toBe(401);
    expect(refused.body['code']).toBe('UNAUTHORIZED');
    expect((await list()).find((key) => key.id === created.id)).toMatchObject({ status: 'revoked', revokedAt: revoked.body.revokedAt });
  });

  it('answers a second revocation like the first and records nothing; an unknown key is 404 API_KEY_NOT_FOUND', async () => {
    const created = await create({ name: 'twice', scopes: ['devices:read'] });
    const first = await admin.post<ApiKey>(`/v1/api-keys/${created.id}/revoke`);
    const second = await admin.post<ApiKey>(`/v1/api-keys/${created.id}/revoke`, {});
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await auditOf(created.id)).map((event) => event['action'])).toEqual(['ADD', 'DELETE']);

    const unknown = await admin.post('/v1/api-keys/0123456789abcdef01234567/revoke');
    expect(unknown.status).toBe(404);
    expect(unknown.body['code']).toBe('API_KEY_NOT_FOUND');
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('lets a keys:admin key bootstrapped by the admin key manage keys, and the audit log names which key acted', async () => {
    const operator = await create({ name: 'operator', scopes: ['keys:admin'] });
    const operatorApi = new Api(server.url, operator.key);
    const made = await create({ name: 'made by operator', scopes: ['devices:write'], expiresAt: '2099-01-01T00:00:00+02:00' }, operatorApi);
    expect(made.expiresAt).toBe('2098-12-31T22:00:00.000Z');
    expect((await operatorApi.post(`/v1/api-keys/${made.id}/revoke`, { reason: 'rotated' })).status).toBe(200);
    // keys:admin alone reads no devices.
    expect((await operatorApi.get('/v1/devices')).status).toBe(403);

    const trail = await auditOf(made.id);
    expect(trail).toHaveLength(2);
    expect(trail[0]).toMatchObject({ action: 'ADD', bizStep: 'commissioning', 'm2m:actor': `api-key:${operator.id}`, 'm2m:name': 'made by operator' });
    expect(trail[1]).toMatchObject({ action: 'DELETE', bizStep: 'decommissioning', 'm2m:actor': `api-key:${operator.id}`, 'm2m:reason': 'rotated' });
    expect((await auditOf(operator.id))[0]).toMatchObject({ action: 'ADD', 'm2m:actor': 'api-key:admin' });
    const text = JSON.stringify(trail);
    expect(text).not.toContain(secretOf(made.key));
    expect(text).not.toContain(createHash('sha256').update(secretOf(made.key)).digest('hex'));
  });

  it('refuses a key once its expiry has passed', async () => {
    // Long enough for the creation and one request before it, on a slow and busy machine too.
    const expiresAt = new Date(Date.now() + 5_000).toISOString();
    const created = await create({ name: 'short-lived', scopes: ['devices:read'], expiresAt });
    const api = new Api(server.url, created.key);
    expect((await api.get('/v1/devices')).status).toBe(200);
    await new Promise((done) => setTimeout(done, Date.parse(expiresAt) - Date.now() + 100));
    const refused = await api.get('/v1/devices');
    expect(refused.status).toBe(401);
    expect(refused.body['code']).toBe('UNAUTHORIZED');
    expect((await list()).find((key) => key.id === created.id)).toMatchObject({ status: 'expired', expiresAt });
  });

  it('refuses a made-up key in the right format, a tampered secret and no key at all with 401', async () => {
    const created = await create({ name: 'tamper', scopes: ['devices:read'] });
    const tampered = created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A');
    for (const key of [tampered, `m2m_0123456789abcdef01234567_${'x'.repeat(43)}`]) {
      const answer = await new Api(server.url, key).get('/v1/devices');
      expect({ key, status: answer.status, code: answer.body['code'] }).toEqual({ key, status: 401, code: 'UNAUTHORIZED' });
    }
    expect((await new Api(server.url, null).get('/v1/api-keys')).status).toBe(401);
  });

  it.each([
    ['no name', { scopes: ['devices:read'] }],
    ['an empty name', { name: '', scopes: ['devices:read'] }],
    ['a blank name', { name: '   ', scopes: ['devices:read'] }],
    ['a name of 101 characters', { name: 'n'.repeat(101), scopes: ['devices:read'] }],
    ['no scopes', { name: 'x' }],
    ['an empty scope list', { name: 'x', scopes: [] }],
    ['an unknown scope', { name: 'x', scopes: ['devices:admin'] }],
    ['a duplicate scope', { name: 'x', scopes: ['audit:read', 'audit:read'] }],
    ['an expiry in the past', { name: 'x', scopes: ['audit:read'], expiresAt: '2020-01-01T00:00:00Z' }],
    ['an expiry that is not a date-time', { name: 'x', scopes: ['audit:read'], expiresAt: 'next week' }],
    ['an expiry without a time zone', { name: 'x', scopes: ['audit:read'], expiresAt: '2099-01-01T00:00:00' }],
    ['an unknown field', { name: 'x', scopes: ['audit:read'], secret: 'mine' }],
  ])('answers 400 VALIDATION_FAILED for %s, and creates nothing', async (_, body) => {
    const before = await list();
    const events = await admin.get<QueryDocument>('/epcis/events?EQ_bizStep=commissioning&perPage=1000');
    const answer = await admin.post('/v1/api-keys', body);
    expect(answer.status).toBe(400);
    expect(answer.body['code']).toBe('VALIDATION_FAILED');
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await list()).toEqual(before);
    const after = await admin.get<QueryDocument>('/epcis/events?EQ_bizStep=commissioning&perPage=1000');
    expect(after.body.epcisBody.queryResults.resultsBody.eventList).toEqual(events.body.epcisBody.queryResults.resultsBody.eventList);
  });

  it('names every scope when one is unknown', async () => {
    const answer = await admin.post('/v1/api-keys', { name: 'x', scopes: ['audit:read', 'devices:admin'] });
    expect(answer.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'Invalid request body: /scopes/1 must be one of: devices:read, devices:write, audit:read, keys:admin',
    });
  });

  it('never writes a secret to the server output', () => {
    expect(issued.length).toBeGreaterThan(5);
    const output = server.output();
    for (const key of issued) expect(output).not.toContain(secretOf(key));
  });
});
