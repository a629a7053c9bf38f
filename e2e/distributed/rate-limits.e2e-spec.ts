import { Client } from 'pg';

import { Api } from '../support/client';
import { type Cluster, DATABASE_URL, startCluster } from './support/cluster';

const LIMIT = 4;

/**
 * Two gateways in front of one set of services hold one budget per client
 * address and per API key: their counters are one table in PostgreSQL.
 */
describe('distributed mode: rate limits hold across gateways', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'ratelimits',
      gateways: 2,
      env: { M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: String(LIMIT), M2M_RATE_LIMIT_API_KEY_PER_MINUTE: String(LIMIT) },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const gateway = (i: number, key: string | null) => new Api(cluster.gateways[i % 2]!.url, key);

  it('refuses an address on every gateway once it spent its budget across them', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await gateway(i, null).post('/v1/challenges', { deviceId: 'never-registered' })).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(201), 429, 429]);

    const refused = await gateway(0, null).post('/v1/challenges/verify', { challengeId: 'c', signature: 's' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.headers.get('ratelimit-policy')).toBe(`${LIMIT};w=60`);

    // The token endpoint is passed through to the challenge service, but its per-address limit is the gateway's.
    const token = await gateway(1, null).call('POST', '/oauth2/token', 'grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded' });
    expect([token.status, token.body['code'], token.headers.get('retry-after') !== null]).toEqual([429, 'RATE_LIMITED', true]);
  });

  it('refuses an API key on every gateway once it spent its budget across them', async () => {
    const answers = [];
    for (let i = 0; i < LIMIT + 2; i++) answers.push(await gateway(i, cluster.adminKey).get('/v1/devices'));
    expect(answers.map((answer) => answer.status)).toEqual([...Array<number>(LIMIT).fill(200), 429, 429]);
    expect(answers.map((answer) => answer.headers.get('ratelimit-remaining'))).toEqual(['3', '2', '1', '0', '0', '0']);
  });

  it('counts in the gateways\' own schema, and a refused key no more once each gateway has seen it refused', async () => {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const rows = await client.query<{ key: string; points: number }>(`SELECT key, points FROM ${cluster.schemaPrefix}gateway.rate_limits ORDER BY key`);
      // Each gateway counted its first refusal in the table, then refused from memory: the verify above is not in it.
      expect(rows.rows).toEqual([
        { key: 'address:127.0.0.1', points: LIMIT + 2 },
        { key: 'api-key:api-key:admin', points: LIMIT + 2 },
      ]);
    } finally {
      await client.end();
    }
  });
});
