import { statSync } from 'node:fs';
import { join } from 'node:path';

import { Api, authenticate, newDevice, register } from './support/client';
import { outputThrough } from './support/logs';
import { newDataDir, type RunningServer, startServer } from './support/server';

describe('operations', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  it('answers GET /health without a key', async () => {
    const answer = await new Api(server.url, null).get('/health');
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('echoes a caller-supplied request id and puts it in problem answers', async () => {
    const answer = await api.get('/v1/devices/nope', { 'x-request-id': 'trace-123' });
    expect(answer.headers.get('x-request-id')).toBe('trace-123');
    expect(answer.body['requestId']).toBe('trace-123');
  });

  it('answers unknown routes with problem+json 404', async () => {
    const answer = await api.get('/v2/nothing');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 });
  });

  it('exposes Prometheus metrics with request and authentication counts', async () => {
    const device = newDevice('metrics');
    await register(api, device);
    await authenticate(api, device);
    const answer = await new Api(server.url, null).get<string>('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/m2m_http_requests_total\{method="POST",route="\/v1\/challenges\/verify",status="200"\} \d+/);
    expect(answer.body).toMatch(/m2m_http_request_duration_seconds_bucket/);
    expect(answer.body).toMatch(/m2m_authentications_total\{outcome="success",reason=""\} [1-9]/);
  });

  it('serves the OpenAPI 3 document of every route, and its UI', async () => {
    const doc = await new Api(server.url, null).get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/devices', '/v1/devices/{deviceId}', '/v1/devices/{deviceId}/revoke', '/v1/challenges', '/v1/challenges/verify', '/epcis/events', '/health']),
    );
    expect(Object.keys(doc.body.paths['/v1/devices']!)).toEqual(expect.arrayContaining(['get', 'post']));
    const ui = await new Api(server.url, null).get<string>('/docs');
    expect(ui.status).toBe(200);
    expect(ui.body).toMatch(/swagger/i);
  });

  it('never logs keys or signatures', async () => {
    const device = newDevice('quiet');
    await register(api, device);
    const c = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId });
    const signature = device.signHex(c.body.nonce);
    await api.post('/v1/challenges/verify', { challengeId: c.body.id, signature });
    const last = await new Api(server.url, 'wrong-key-that-must-not-be-logged').get('/v1/devices');
    const log = await outputThrough(server, last.headers.get('x-request-id'));
    expect(log).toContain('"msg":"request"');
    expect(log).not.toContain(server.adminKey);
    expect(log).not.toContain(signature);
    expect(log).not.toContain('wrong-key-that-must-not-be-logged');
  });
});

describe('admin API key', () => {
  it('is generated on first start, kept with mode 0600, printed once, and reused', async () => {
    const dataDir = newDataDir();
    const first = await startServer({ dataDir, adminKey: null });
    const printed = /Admin API key[^\n]*\n\s*\n\s*(\S+)/.exec(first.output())?.[1];
    expect(printed).toBeDefined();
    expect(statSync(join(dataDir, 'admin-api-key')).mode & 0o777).toBe(0o600);
    expect((await new Api(first.url, printed!).get('/v1/devices')).status).toBe(200);
    await first.stop();

    const second = await startServer({ dataDir, adminKey: null });
    expect(second.output()).not.toContain(printed!);
    expect((await new Api(second.url, printed!).get('/v1/devices')).status).toBe(200);
    await second.stop();
  });

  it('refuses to start on invalid configuration, saying which setting is wrong', async () => {
    await expect(startServer({ env: { M2M_CHALLENGE_TTL_SECONDS: 'soon' } })).rejects.toThrow(/M2M_CHALLENGE_TTL_SECONDS/);
  });
});
