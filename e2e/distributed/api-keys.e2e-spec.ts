import { eventually } from '@m2m-trust/shared-domain/testing';

import { credentials, makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js';

import { Api } from '../support/client';
import { type Cluster, sleep, startCluster } from './support/cluster';

interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  status: string;
  revokedAt: string | null;
  key?: string;
}
interface QueryDocument {
  epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } };
}

const json = { serialize: (value: unknown) => Buffer.from(JSON.stringify(value)), deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as unknown };
/** m2m.internal.v1.ApiKeyVerification as docs/api-keys.md describes it: JSON messages. */
const Verification = makeGenericClientConstructor(
  {
    VerifyApiKey: {
      path: '/m2m.internal.v1.ApiKeyVerification/VerifyApiKey',
      requestStream: false,
      responseStream: false,
      requestSerialize: json.serialize,
      requestDeserialize: json.deserialize,
      responseSerialize: json.serialize,
      responseDeserialize: json.deserialize,
    },
  },
  'ApiKeyVerification',
);

/** docs/api-keys.md: a process other than the registry service reuses a positive answer for at most 1 s. */
const REVOCATION_LATENCY_MS = 1_000;

/**
 * The registry service owns the API keys in the distributed mode: the
 * gateways pass /v1/api-keys through to it, and every process (gateways for
 * their own HTTP and gRPC, challenge and audit services for theirs) asks it
 * whether a presented key is good.
 */
describe('distributed mode: scoped API keys', () => {
  let cluster: Cluster;
  let one: Api;
  let two: Api;

  const auditOf = async (apiKeyId: string): Promise<Record<string, unknown>[]> => {
    const answer = await one.get<QueryDocument>(`/epcis/events?MATCH_epc=${encodeURIComponent(`urn:m2m-trust:api-key:${apiKeyId}`)}`);
    expect(answer.status).toBe(200);
    return answer.body.epcisBody.queryResults.resultsBody.eventList;
  };

  beforeAll(async () => {
    cluster = await startCluster({ name: 'api-keys', gateways: 2 });
    [one, two] = cluster.gateways.map((gateway) => new Api(gateway.url, cluster.adminKey)) as [Api, Api];
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates a key through one gateway that acts within its scopes through the other, in every service, until it is revoked', async () => {
    const created = await one.post<ApiKey>('/v1/api-keys', { name: 'dashboard', scopes: ['devices:read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'dashboard', scopes: ['devices:read'], status: 'active', key: expect.stringMatching(/^m2m_[0-9a-f]{24}_/) });
    const { id, key } = created.body as ApiKey & { key: string };

    const listed = await two.get<{ items: ApiKey[] }>('/v1/api-keys');
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((item) => item.id === id)).toMatchObject({ id, status: 'active' });
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(-43));

    const dashboard = new Api(cluster.gateways[1]!.url, key);
    // The gateway's own route, the challenge service's route passed through, and the audit service's.
    expect((await dashboard.get('/v1/devices')).status).toBe(200);
    const lockout = await dashboard.get('/v1/devices/no-such-device/lockout');
    expect([lockout.status, lockout.body['code']]).toEqual([404, 'DEVICE_NOT_FOUND']);
    const write = await dashboard.post('/v1/devices', { deviceId: 'never-registered', publicKey: 'ab'.repeat(32) });
    expect([write.status, write.body['code']]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const audit = await dashboard.get('/epcis/events');
    expect([audit.status, audit.body['code']]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    // Managing keys needs keys:admin, which the registry service checks itself.
    expect((await dashboard.get('/v1/api-keys')).status).toBe(403);

    const revoking = Date.now();
    const revoked = await one.post<ApiKey>(`/v1/api-keys/${id}/revoke`, { reason: 'dashboard retired' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, status: 'revoked', revokedAt: expect.any(String) });
    // Every positive answer a process cached for this key was cached before `revoking` (all its requests were
    // answered by then), so none is reused past `revoking` + the latency: from then on each process asks the
    // registry service, which answered the revocation. So every request from then on is refused, everywhere,
    // however slow the machine: the promise itself, rather than how soon a loaded machine happened to keep it.
    await sleep(Math.max(0, revoking + REVOCATION_LATENCY_MS - Date.now()));
    expect((await dashboard.get('/v1/devices')).status).toBe(401);
    expect((await dashboard.get('/v1/devices/no-such-device/lockout')).status).toBe(401);
    expect((await dashboard.get('/epcis/events')).status).toBe(401);
    expect((await new Api(cluster.gateways[0]!.url, key).get('/v1/devices')).status).toBe(401);

    // Revoking again changes and records nothing.
    expect((await two.post<ApiKey>(`/v1/api-keys/${id}/revoke`, {})).body).toMatchObject({ status: 'revoked', revokedAt: revoked.body.revokedAt });
  });

  it('records the creation and the revocation in the audit log, under the key id', async () => {
    const created = await two.post<ApiKey>('/v1/api-keys', { name: 'audited', scopes: ['audit:read'] });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await one.post(`/v1/api-keys/${id}/revoke`, { reason: 'done' })).status).toBe(200);
    const events = await eventually('both audit records', async () => {
      const found = await auditOf(id);
      return found.length === 2 && found;
    });
    expect(events.map((event) => event['epcList'])).toEqual([[`urn:m2m-trust:api-key:${id}`], [`urn:m2m-trust:api-key:${id}`]]);
    expect(JSON.stringify(events)).not.toContain((created.body.key as string).slice(-43));
  });

  it('refuses unknown and malformed keys everywhere, and answers the key check only to the admin key', async () => {
    const forged = `m2m_${'0'.repeat(24)}_${'A'.repeat(43)}`;
    for (const gateway of cluster.gateways) {
      for (const presented of [forged, 'not-a-key']) {
        const api = new Api(gateway.url, presented);
        expect((await api.get('/v1/devices')).status).toBe(401);
        expect((await api.get('/epcis/events')).status).toBe(401);
        expect((await api.get('/v1/api-keys')).status).toBe(401);
      }
    }
    expect((await new Api(cluster.registry.url, null).get('/v1/api-keys')).status).toBe(401);

    const operator = await one.post<ApiKey>('/v1/api-keys', { name: 'operator', scopes: ['keys:admin', 'devices:read'] });
    const operatorKey = operator.body.key as string;
    const client = new Verification(cluster.registry.grpcUrl, credentials.createInsecure());
    const verify = (as: string, key: string) =>
      new Promise<{ error: ServiceError | null; response: unknown }>((resolve) => {
        const metadata = new Metadata();
        metadata.set('authorization', `Bearer ${as}`);
        (client as unknown as Record<string, (...args: unknown[]) => void>)['VerifyApiKey']!.call(client, { key }, metadata, (error: ServiceError | null, response: unknown) =>
          resolve({ error, response }),
        );
      });
    try {
      expect((await verify(cluster.adminKey, operatorKey)).response).toEqual({ verified: { id: operator.body.id, scopes: ['devices:read', 'keys:admin'] } });
      expect((await verify(cluster.adminKey, forged)).response).toEqual({ verified: null });
      // Even a keys:admin key may not ask: only the services and gateways, with the admin key, do.
      const refused = await verify(operatorKey, operatorKey);
      expect(refused.error?.metadata.get('m2m-error-code')).toEqual(['INSUFFICIENT_SCOPE']);
    } finally {
      client.close();
    }
  });
});
