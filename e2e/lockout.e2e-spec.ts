import { status } from '@grpc/grpc-js';

import { GrpcApi, grpcTargetOf, trailer } from './grpc-client';
import { Api, authenticate, type Device, newDevice, register } from './support/client';
import { type RunningServer, startServer } from './support/server';

interface Lockout {
  deviceId: string;
  locked: boolean;
  lockedUntil: string | null;
  consecutiveFailures: number;
  lockNumber: number;
}
type EpcisEvent = Record<string, unknown>;

describe('lockout after repeated failed authentications', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startServer({
      env: {
        M2M_LOCKOUT_THRESHOLD: '3',
        // Long enough for the requests a test makes while a lock holds, on a slow and busy machine too;
        // short enough to wait out twice.
        M2M_LOCKOUT_SECONDS: '5',
        M2M_LOCKOUT_MAX_SECONDS: '8',
        M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '0',
        M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
      },
    });
    api = new Api(server.url, server.adminKey);
  });
  afterAll(() => server.stop());

  const fresh = async (): Promise<Device> => {
    const device = newDevice('lock');
    expect((await register(api, device)).status).toBe(201);
    return device;
  };
  const challenge = (device: Device) => api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId });
  const failOnce = async (device: Device) => {
    const issued = await challenge(device);
    expect(issued.status).toBe(201);
    const answer = await api.post('/v1/challenges/verify', { challengeId: issued.body.id, signature: '00'.repeat(64) });
    expect(answer.body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
  };
  const lockout = async (device: Device) => (await api.get<Lockout>(`/v1/devices/${device.deviceId}/lockout`)).body;
  const audit = async (device: Device, query = '') =>
    (await api.get<{ epcisBody: { queryResults: { resultsBody: { eventList: EpcisEvent[] } } } }>(
      `/epcis/events?MATCH_epc=urn:m2m-trust:device:${device.deviceId}&perPage=100${query}`,
    )).body.epcisBody.queryResults.resultsBody.eventList;

  it('locks the device at the threshold, refuses it with Retry-After, and audits the lock', async () => {
    const device = await fresh();
    const early = await challenge(device); // issued before the lock: verifying it during the lock must fail too
    await failOnce(device);
    await failOnce(device);
    expect(await lockout(device)).toMatchObject({ locked: false, consecutiveFailures: 2, lockNumber: 0 });
    await failOnce(device);

    const state = await lockout(device);
    expect(state).toMatchObject({ deviceId: device.deviceId, locked: true, consecutiveFailures: 0, lockNumber: 1 });
    const refused = await challenge(device);
    expect(refused.status).toBe(423);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'DEVICE_LOCKED' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(5);

    const duringLock = await api.post('/v1/challenges/verify', { challengeId: early.body.id, signature: device.signHex(early.body.nonce) });
    expect(duringLock.body).toEqual({ verified: false, reason: 'DEVICE_LOCKED' });

    const locks = await audit(device, '&EQ_bizStep=holding');
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ action: 'OBSERVE', disposition: 'unavailable', 'm2m:failures': '3', 'm2m:lockNumber': '1', 'm2m:lockedUntil': state.lockedUntil });
    const failures = await audit(device, '&EQ_disposition=non_conformant');
    expect(failures.map((event) => event['m2m:reason']).sort()).toEqual(['DEVICE_LOCKED', 'SIGNATURE_INVALID', 'SIGNATURE_INVALID', 'SIGNATURE_INVALID']);
  });

  it('ends the lock by itself, doubles the next one up to the maximum, and a success clears the record', async () => {
    const device = await fresh();
    for (let i = 0; i < 3; i++) await failOnce(device);
    const first = await lockout(device);
    await new Promise((resume) => setTimeout(resume, Date.parse(first.lockedUntil!) - Date.now() + 50));
    expect(await lockout(device)).toMatchObject({ locked: false, lockNumber: 1 });

    for (let i = 0; i < 3; i++) await failOnce(device);
    const second = await lockout(device);
    expect(second).toMatchObject({ locked: true, lockNumber: 2 });
    const [lock] = await audit(device, '&EQ_bizStep=holding&orderBy=eventTime&orderDirection=DESC');
    // 5 s doubled is 10 s, capped at M2M_LOCKOUT_MAX_SECONDS = 8.
    expect(Date.parse(lock!['m2m:lockedUntil'] as string) - Date.parse(lock!['eventTime'] as string)).toBe(8000);

    await new Promise((resume) => setTimeout(resume, Date.parse(second.lockedUntil!) - Date.now() + 50));
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    expect(await lockout(device)).toEqual({ deviceId: device.deviceId, locked: false, lockedUntil: null, consecutiveFailures: 0, lockNumber: 0 });
  });

  it('lets an operator lift a lock, audited with the actor and reason', async () => {
    const device = await fresh();
    for (let i = 0; i < 3; i++) await failOnce(device);
    expect((await lockout(device)).locked).toBe(true);

    const bad = await api.post(`/v1/devices/${device.deviceId}/unlock`, { reason: 7 });
    expect(bad.status).toBe(400);
    expect((await lockout(device)).locked).toBe(true);

    const lifted = await api.post<Lockout>(`/v1/devices/${device.deviceId}/unlock`, { reason: 'checked on site' });
    expect(lifted.status).toBe(200);
    expect(lifted.body).toEqual({ deviceId: device.deviceId, locked: false, lockedUntil: null, consecutiveFailures: 0, lockNumber: 0 });
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });

    const unlocks = await audit(device, '&EQ_bizStep=holding&EQ_disposition=active');
    expect(unlocks).toHaveLength(1);
    expect(unlocks[0]).toMatchObject({ 'm2m:reason': 'checked on site', 'm2m:actor': 'api-key:admin' });

    // Nothing on record: nothing more to audit.
    expect((await api.post(`/v1/devices/${device.deviceId}/unlock`, {})).status).toBe(200);
    expect(await audit(device, '&EQ_bizStep=holding&EQ_disposition=active')).toHaveLength(1);
  });

  it('refuses a locked device over gRPC too: FAILED_PRECONDITION with the code and retry-after trailers', async () => {
    const device = await fresh();
    for (let i = 0; i < 3; i++) await failOnce(device);
    const grpc = new GrpcApi(grpcTargetOf(server.output()), null);
    try {
      const answer = await grpc.initiateChallenge(device.deviceId);
      expect(answer.ok).toBe(false);
      if (answer.ok) return;
      expect(answer.code).toBe(status.FAILED_PRECONDITION);
      expect(trailer(answer, 'm2m-error-code')).toBe('DEVICE_LOCKED');
      expect(Number(trailer(answer, 'retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      grpc.close();
    }
  });

  it('answers 404 for an unknown device and 401 without an API key', async () => {
    expect((await api.get('/v1/devices/no-such-device/lockout')).body).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect((await api.post('/v1/devices/no-such-device/unlock', {})).status).toBe(404);
    const anonymous = new Api(server.url, null);
    expect((await anonymous.post(`/v1/devices/whoever/unlock`, {})).status).toBe(401);
  });
});
