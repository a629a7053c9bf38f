import { Api, newDevice, register } from '../support/client';
import { DEVICE_BUDGET, deviceDenialCases } from '../support/device-denial';
import { type Cluster, startCluster } from './support/cluster';

/**
 * Denial of service against devices through the distributed mode's gateways: the same cases as the embedded suite
 * (e2e/lockout.e2e-spec.ts), the failure record and budgets in the challenge service's PostgreSQL, and an operator
 * lock set through one gateway holding on the other's challenge-service instance.
 */
describe('distributed mode: lockouts and what strangers can do to a device', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'lockout',
      gateways: 2,
      challengeInstances: 2,
      env: { M2M_RATE_LIMIT_DEVICE_PER_MINUTE: String(DEVICE_BUDGET), M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0' },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  deviceDenialCases(() => ({ url: cluster.gateways[0]!.url, adminKey: cluster.adminKey, audience: cluster.audience }));

  it("holds an operator's lock and unlock on every challenge-service instance", async () => {
    const [one, two] = cluster.gateways.map((gateway) => new Api(gateway.url, cluster.adminKey));
    const device = newDevice('lock-across');
    expect((await register(one!, device)).status).toBe(201);
    const tryThrough = async (api: Api) => {
      const issued = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId });
      return (await api.post('/v1/challenges/verify', { challengeId: issued.body.id, signature: device.signHex(issued.body.nonce) })).body;
    };
    expect(await tryThrough(two!)).toMatchObject({ verified: true });
    expect((await one!.post(`/v1/devices/${device.deviceId}/lock`, { reason: 'stolen' })).status).toBe(200);
    expect(await tryThrough(two!)).toEqual({ verified: false, reason: 'DEVICE_LOCKED' });
    expect((await two!.get(`/v1/devices/${device.deviceId}/lockout`)).body).toMatchObject({ locked: true, lockReason: 'stolen' });
    expect((await two!.post(`/v1/devices/${device.deviceId}/unlock`, {})).status).toBe(200);
    expect(await tryThrough(one!)).toMatchObject({ verified: true });
  });
});
