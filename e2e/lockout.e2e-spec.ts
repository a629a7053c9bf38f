import { status } from '@grpc/grpc-js';

import { GrpcApi, grpcTargetOf } from './grpc-client';
import { Api } from './support/client';
import { DEVICE_BUDGET, deviceDenialCases, strangersNeverStopTheDevice } from './support/device-denial';
import { logsOf } from './support/launcher';
import { type RunningServer, startServer, WITHOUT_ABUSE_LIMITS } from './support/server';

/**
 * Denial of service against devices, embedded mode: no caller without a device's key can stop it authenticating;
 * operators lock by hand (docs/abuse-limits.md "Lockouts").
 */
describe('lockouts and what strangers can do to a device (embedded)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({
      env: {
        M2M_RATE_LIMIT_DEVICE_PER_MINUTE: String(DEVICE_BUDGET),
        // Strangers here all share the loopback address; its limit is proven by the rate-limit suite.
        M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
        // Retired: accepted, and a warning at start says it does nothing.
        M2M_LOCKOUT_THRESHOLD: '3',
      },
    });
  });
  afterAll(() => server.stop());

  deviceDenialCases(() => ({ url: server.url, adminKey: server.adminKey, audience: server.url }));

  it('warns at start that a retired M2M_LOCKOUT_* setting has no effect', () => {
    const warning = logsOf(server.output(), 'gateway').find((line) => line['variable'] === 'M2M_LOCKOUT_THRESHOLD');
    expect(warning?.['msg']).toContain('has no effect: automatic lockout is gone');
  });

  it('issues a challenge over gRPC for an unknown device too, like any other', async () => {
    const grpc = new GrpcApi(grpcTargetOf(server.output()), null);
    try {
      const answer = await grpc.initiateChallenge('never-registered-grpc');
      expect(answer.ok).toBe(true);
      if (!answer.ok) expect(answer.code).not.toBe(status.NOT_FOUND);
    } finally {
      grpc.close();
    }
  });

  it('answers 404 for an unknown device and 401 without an API key on the operator routes', async () => {
    const api = new Api(server.url, server.adminKey);
    expect((await api.get('/v1/devices/no-such-device/lockout')).body).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect((await api.post('/v1/devices/no-such-device/unlock', {})).status).toBe(404);
    expect((await new Api(server.url, null).post('/v1/devices/whoever/unlock', {})).status).toBe(401);
  });
});

describe('strangers cannot lock a device, with no rate limit in the way (embedded)', () => {
  let server: RunningServer;
  beforeAll(async () => (server = await startServer({ env: WITHOUT_ABUSE_LIMITS })));
  afterAll(() => server.stop());

  strangersNeverStopTheDevice(() => ({ url: server.url, adminKey: server.adminKey, audience: server.url }));
});
