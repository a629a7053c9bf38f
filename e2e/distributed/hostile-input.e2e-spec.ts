import { eventually } from '@m2m-trust/shared-domain/testing';

import { Api, newDevice, register } from '../support/client';
import { CONTROL_TEXTS, HOSTILE_JTI_SHA256, nestedObjects, postBytes, presentHostileAssertion, xmllint } from '../support/hostile';
import { type Cluster, startCluster } from './support/cluster';

/**
 * Hostile strings and JSON bodies in the distributed mode: bodies the gateway
 * parses itself (devices) and bodies it passes through to a service (API keys
 * to the registry service, unlock to the challenge service) meet the same
 * parser and the same rules; a stranger's jti reaches the audit service's
 * PostgreSQL log as a digest, and its XML export stays well-formed.
 */
describe('distributed mode: hostile strings and JSON bodies', () => {
  let cluster: Cluster;
  let api: Api;
  let url: string;

  beforeAll(async () => {
    cluster = await startCluster({ name: 'hostile' });
    url = cluster.gateways[0]!.url;
    api = new Api(url, cluster.adminKey);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('refuses deep, non-UTF-8 and lone-surrogate bodies with 400 on the gateway and on the services behind it, and stores nothing', async () => {
    const device = newDevice('dist-hostile');
    expect((await register(api, device)).status).toBe(201);
    const other = newDevice('dist-hostile-refused');
    const newDeviceWith = (rest: string): Buffer => Buffer.from(`{"deviceId":"${other.deviceId}","publicKey":"${other.publicKeyHex}",${rest}}`);
    const notUtf8 = (head: string, tail: string): Buffer => Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from(tail)]);
    // Bodies the routes would take but for the parser: the gateway parses /v1/devices, the registry service /v1/api-keys, the challenge service the unlock.
    const cases: [string, Buffer, RegExp][] = [
      ['/v1/devices', newDeviceWith(`"metadata":${nestedObjects(32)}`), /more than 32 levels deep/],
      ['/v1/devices', notUtf8(`{"deviceId":"${other.deviceId}","publicKey":"${other.publicKeyHex}","label":"`, '"}'), /not valid UTF-8/],
      ['/v1/devices', newDeviceWith('"metadata":{"note":"\\udfff"}'), /\/metadata\/note holds a lone surrogate/],
      ['/v1/api-keys', notUtf8('{"scopes":["audit:read"],"name":"', '"}'), /not valid UTF-8/],
      ['/v1/api-keys', Buffer.from('{"scopes":["audit:read"],"name":"ci \\ud800"}'), /lone surrogate/],
      [`/v1/devices/${device.deviceId}/unlock`, notUtf8('{"reason":"', '"}'), /not valid UTF-8/],
    ];
    const keys = (await api.get<{ items: unknown[] }>('/v1/api-keys')).body.items.length;
    for (const [path, bytes, detail] of cases) {
      const answer = await postBytes(url, cluster.adminKey, path, bytes);
      expect([path, answer.status, answer.body['code'], answer.body['detail']]).toEqual([path, 400, 'VALIDATION_FAILED', expect.stringMatching(detail)]);
    }
    expect((await api.get(`/v1/devices/${other.deviceId}`)).status).toBe(404);
    expect((await api.get<{ items: unknown[] }>('/v1/api-keys')).body.items).toHaveLength(keys);
  });

  it("refuses an operator's text with controls, through the gateway to the registry and challenge services", async () => {
    const device = newDevice('dist-hostile-text');
    expect((await register(api, device)).status).toBe(201);
    for (const text of CONTROL_TEXTS) {
      expect((await api.post('/v1/api-keys', { name: text, scopes: ['audit:read'] })).body['code']).toBe('VALIDATION_FAILED');
      expect((await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: text })).body['code']).toBe('VALIDATION_FAILED');
      expect((await api.post(`/v1/devices/${device.deviceId}/unlock`, { reason: text })).body['code']).toBe('VALIDATION_FAILED');
    }
    expect((await api.get(`/v1/devices/${device.deviceId}`)).body['status']).toBe('active');
  });

  it("records a refused assertion's hostile jti as its digest, and the unfiltered XML export stays well-formed (xmllint)", async () => {
    const device = newDevice('dist-hostile-jti');
    expect((await register(api, device)).status).toBe(201);
    expect(await presentHostileAssertion(url, device, cluster.audience)).toBe(401);
    const exported = async (format: string): Promise<Buffer> => {
      const response = await fetch(`${url}/epcis/export?format=${format}`, { headers: { authorization: `Bearer ${cluster.adminKey}` } });
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };
    const xml = await eventually('the refused assertion in the audit log', async () => {
      const document = await exported('xml');
      return document.includes(`<m2m:assertionIdSha256>${HOSTILE_JTI_SHA256}</m2m:assertionIdSha256>`) ? document : null;
    });
    expect(xmllint(xml)).toEqual({ status: 0, stderr: '' });
    expect((await exported('jsonld')).toString('utf8')).not.toContain('\\u0000');
  });
});
