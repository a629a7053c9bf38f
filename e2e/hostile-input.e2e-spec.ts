import { eventually } from '@m2m-trust/shared-domain/testing';

import { spawnSync } from 'node:child_process';
import { status } from '@grpc/grpc-js';

import { GrpcApi, grpcTargetOf, trailer } from './grpc-client';
import { Api, newDevice, register } from './support/client';
import { CONTROL_TEXTS, HOSTILE_JTI_SHA256, nestedObjects, postBytes as post, presentHostileAssertion, xmllint } from './support/hostile';
import { type RunningServer, startServer } from './support/server';

// Hostile strings and JSON bodies (issue 17): what callers give is refused when it is
// their own data, recorded safely when it must be audited, and never breaks an export.

async function download(server: RunningServer, query: string): Promise<Buffer> {
  const response = await fetch(`${server.url}/epcis/export${query}`, { headers: { authorization: `Bearer ${server.adminKey}` } });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const postBytes = (server: RunningServer, path: string, bytes: Buffer) => post(server.url, server.adminKey, path, bytes);

describe('hostile strings and JSON bodies', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  describe('a refused client assertion whose jti holds NUL and other controls', () => {
    it('is audited by the digest of its jti, and every unfiltered export stays well-formed (xmllint, Python csv)', async () => {
      const device = newDevice('hostile-jti');
      expect((await register(api, device)).status).toBe(201);
      expect(await presentHostileAssertion(server.url, device, server.url)).toBe(401);

      // jose reads the claims with JSON.parse, so the lone surrogate arrives as one; UTF-8 writes it as U+FFFD.
      const digest = HOSTILE_JTI_SHA256;
      const jsonld = await eventually('the refused assertion in the audit log', async () => {
        const text = (await download(server, '')).toString('utf8');
        return text.includes(digest) ? text : null;
      });
      const line = jsonld.split('\n').find((candidate) => candidate.includes(digest)) as string;
      const event = JSON.parse(line.replace(/,$/, '')) as Record<string, unknown>;
      expect(event).toMatchObject({ disposition: 'non_conformant', 'm2m:reason': 'SIGNATURE_INVALID', 'm2m:assertionIdSha256': digest, epcList: [`urn:m2m-trust:device:${device.deviceId}`] });
      expect(event).not.toHaveProperty('m2m:assertionId');
      expect(jsonld).not.toContain('\\u0000');

      const xml = await download(server, '?format=xml');
      expect(xmllint(xml)).toEqual({ status: 0, stderr: '' });
      expect(xml.toString('utf8')).toContain(`<m2m:assertionIdSha256>${digest}</m2m:assertionIdSha256>`);

      const csv = await download(server, '?format=csv');
      expect(csv.includes(0)).toBe(false);
      const rows = spawnSync('python3', ['-c', 'import csv,sys; rows=list(csv.reader(sys.stdin)); print(len(rows), len({len(r) for r in rows}))'], { input: csv });
      expect(rows.stdout.toString().trim()).toMatch(/^\d+ 1$/);
    });
  });

  describe("an operator's own text is plain text or 400, and nothing is stored", () => {
    it.each(CONTROL_TEXTS)('refuses an API-key name %j', async (name) => {
      const before = (await api.get<{ items: unknown[] }>('/v1/api-keys')).body.items.length;
      const answer = await api.post('/v1/api-keys', { name, scopes: ['audit:read'] });
      expect([answer.status, answer.body['code'], answer.headers.get('content-type')]).toEqual([400, 'VALIDATION_FAILED', 'application/problem+json; charset=utf-8']);
      expect(answer.body['detail']).toMatch(/\/name/);
      expect((await api.get<{ items: unknown[] }>('/v1/api-keys')).body.items).toHaveLength(before);
    });

    it('refuses a revocation, lock or unlock reason with controls, for an API key and for a device, and both stay active and unlocked', async () => {
      const key = await api.post<{ id: string }>('/v1/api-keys', { name: 'hostile reasons', scopes: ['audit:read'] });
      expect(key.status).toBe(201);
      const device = newDevice('hostile-reason');
      expect((await register(api, device)).status).toBe(201);
      for (const reason of CONTROL_TEXTS) {
        const keyAnswer = await api.post(`/v1/api-keys/${key.body.id}/revoke`, { reason });
        expect([keyAnswer.status, keyAnswer.body['code']]).toEqual([400, 'VALIDATION_FAILED']);
        const deviceAnswer = await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason });
        expect([deviceAnswer.status, deviceAnswer.body['code']]).toEqual([400, 'VALIDATION_FAILED']);
        const unlock = await api.post(`/v1/devices/${device.deviceId}/unlock`, { reason });
        expect([unlock.status, unlock.body['code']]).toEqual([400, 'VALIDATION_FAILED']);
        const lock = await api.post(`/v1/devices/${device.deviceId}/lock`, { reason });
        expect([lock.status, lock.body['code']]).toEqual([400, 'VALIDATION_FAILED']);
      }
      expect((await api.get(`/v1/devices/${device.deviceId}/lockout`)).body['locked']).toBe(false);
      const keys = (await api.get<{ items: { id: string; status: string }[] }>('/v1/api-keys')).body.items;
      expect(keys.find((candidate) => candidate.id === key.body.id)?.status).toBe('active');
      expect((await api.get(`/v1/devices/${device.deviceId}`)).body['status']).toBe('active');
    });

    it('refuses a device label with a control character, over HTTP and gRPC, and registers nothing', async () => {
      const device = newDevice('hostile-label');
      const answer = await register(api, device, { label: 'Scanner\u0000#3' });
      expect([answer.status, answer.body['code']]).toEqual([400, 'VALIDATION_FAILED']);
      const grpc = new GrpcApi(grpcTargetOf(server.output()), server.adminKey);
      try {
        const overGrpc = await grpc.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex, label: 'Scanner\u001b[2J' });
        expect(overGrpc.ok ? 'registered' : [overGrpc.code, trailer(overGrpc, 'm2m-error-code')]).toEqual([status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
      } finally {
        grpc.close();
      }
      expect((await api.get(`/v1/devices/${device.deviceId}`)).status).toBe(404);
    });
  });

  describe('JSON bodies, before any handler runs', () => {
    it('refuses a body nested deeper than 32 levels with 400, however deep, and accepts 32', async () => {
      for (const depth of [33, 10_000]) {
        const device = newDevice('deep');
        const body = `{"deviceId":"${device.deviceId}","publicKey":"${device.publicKeyHex}","metadata":${nestedObjects(depth - 1)}}`;
        const answer = await postBytes(server, '/v1/devices', Buffer.from(body));
        expect([depth, answer.status, answer.body['code']]).toEqual([depth, 400, 'VALIDATION_FAILED']);
        expect(answer.body['detail']).toMatch(/more than 32 levels deep/);
        expect((await api.get(`/v1/devices/${device.deviceId}`)).status).toBe(404);
      }
      const device = newDevice('deep-enough');
      const body = `{"deviceId":"${device.deviceId}","publicKey":"${device.publicKeyHex}","metadata":${nestedObjects(31)}}`;
      expect((await postBytes(server, '/v1/devices', Buffer.from(body))).status).toBe(201);
      expect((await api.get('/v1/devices?limit=1000')).status).toBe(200);
    });

    it('refuses bytes that are not UTF-8, and a lone surrogate escape, with 400 instead of storing U+FFFD', async () => {
      const device = newDevice('encoding');
      const head = `{"deviceId":"${device.deviceId}","publicKey":"${device.publicKeyHex}","label":"`;
      for (const invalid of [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82])]) {
        const answer = await postBytes(server, '/v1/devices', Buffer.concat([Buffer.from(head), invalid, Buffer.from('"}')]));
        expect([invalid.toString('hex'), answer.status, answer.body['code'], answer.body['detail']]).toEqual([invalid.toString('hex'), 400, 'VALIDATION_FAILED', expect.stringMatching(/not valid UTF-8/)]);
      }
      for (const escape of ['\\ud800', '\\udfff', 'a\\ud83d"}', '\\udc00\\ud800']) {
        const body = `{"deviceId":"${device.deviceId}","publicKey":"${device.publicKeyHex}","metadata":{"note":"${escape.replace(/"}$/, '')}"}}`;
        const answer = await postBytes(server, '/v1/devices', Buffer.from(body));
        expect([escape, answer.status, answer.body['code'], answer.body['detail']]).toEqual([escape, 400, 'VALIDATION_FAILED', expect.stringMatching(/\/metadata\/note holds a lone surrogate/)]);
      }
      expect((await api.get(`/v1/devices/${device.deviceId}`)).status).toBe(404);
      // A surrogate pair is one character, written as escapes or as UTF-8.
      const paired = await postBytes(server, '/v1/devices', Buffer.from(`${head}lock \\ud83d\\udd10 🔐"}`));
      expect(paired.status).toBe(201);
      expect((await api.get(`/v1/devices/${device.deviceId}`)).body['label']).toBe('lock 🔐 🔐');
    });

    it('answers the OAuth token endpoint in its own error format', async () => {
      const answer = await postBytes(server, '/oauth2/token', Buffer.from(`{"grant_type":${nestedObjects(40)}}`));
      expect([answer.status, answer.body['error']]).toEqual([400, 'invalid_request']);
    });
  });
});
