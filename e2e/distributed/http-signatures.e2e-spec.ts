import { signRequest } from '@m2m-trust/sdk';
import { eventually } from '@m2m-trust/shared-domain/testing';

import { Api } from '../support/client';
import { getWithHost, type HostAnswer } from '../support/get-with-host';
import { type Cluster, startCluster } from './support/cluster';
import { newDevice, type TestDevice } from './support/devices';

/**
 * RFC 9421 signed requests in the distributed mode: the gateway passes GET
 * /v1/me to the challenge service, which verifies the signature against its
 * public URL (M2M_AUDIENCE here, the first gateway's URL), counts the device
 * once verified and bounds its replay memory per device; the gateway counts
 * the client address before anything is verified.
 */
describe('signed requests through the distributed gateway (RFC 9421)', () => {
  const DEVICE_LIMIT = 3;
  const ADDRESS_LIMIT = 12;
  const REPLAY_QUOTA = 1_000;
  let cluster: Cluster;
  let admin: Api;
  let nextAddress = 0;

  /** An address of its own (the gateway trusts loopback's X-Forwarded-For), so address budgets stay apart. */
  const fromAddress = (): Record<string, string> => {
    const n = nextAddress++;
    return { 'x-forwarded-for': `203.0.${Math.floor(n / 250)}.${(n % 250) + 1}` };
  };

  const signFor = (device: TestDevice, url: string): Promise<Record<string, string>> =>
    signRequest({ method: 'GET', url }, { deviceId: device.deviceId, privateKey: device.privateKey }).then((fields) => ({ ...fields }));

  /** GET /v1/me on gateway 0, with the Host given or the gateway's own. */
  const me = (headers: Record<string, string>, host?: string): Promise<HostAnswer> =>
    getWithHost(cluster.gateways[0]!.url, '/v1/me', host ?? new URL(cluster.gateways[0]!.url).host, headers);

  const registered = async (prefix: string): Promise<TestDevice> => {
    const device = await newDevice(prefix);
    expect((await admin.post('/v1/devices', { deviceId: device.deviceId, publicKey: device.publicKeyHex })).status).toBe(201);
    return device;
  };

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'httpsig',
      env: { M2M_RATE_LIMIT_DEVICE_PER_MINUTE: String(DEVICE_LIMIT), M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: String(ADDRESS_LIMIT), M2M_TRUST_PROXY: 'loopback' },
    });
    admin = new Api(cluster.gateways[0]!.url, cluster.adminKey);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('verifies against the public URL, never the Host header: signed for it with a forged Host is accepted, signed over the forged Host refused', async () => {
    const device = await registered('pub');
    const publicUrl = `${cluster.audience}/v1/me`;
    // Registration answers once the challenge service knows the device; a probe that finds it unknown spends nothing of its budget.
    await eventually('the device known to the challenge service', async () => (await me({ ...fromAddress(), ...(await signFor(device, publicUrl)) }, 'forged.example')).status === 200);
    const overForged = await me({ ...fromAddress(), ...(await signFor(device, 'http://forged.example/v1/me')) }, 'forged.example');
    expect(overForged.status).toBe(401);
    expect(overForged.body).toMatchObject({ code: 'UNAUTHORIZED', detail: expect.stringContaining('SIGNATURE_INVALID') });
    // The address the challenge service itself listens on is no public URL either.
    const internal = await me({ ...fromAddress(), ...(await signFor(device, `${cluster.challenges[0]!.url}/v1/me`)) });
    expect(internal.status).toBe(401);
  });

  it('counts the device once its signature is verified, strangers spending nothing of it, and the address before', async () => {
    const device = await registered('limited');
    const url = `${cluster.audience}/v1/me`;
    const stranger = { ...(await newDevice('x')), deviceId: device.deviceId };
    for (let i = 0; i < 5; i++) expect((await me({ ...fromAddress(), ...(await signFor(stranger, url)) })).status).toBe(401);
    await eventually('the device known to the challenge service', async () => (await me({ ...fromAddress(), ...(await signFor(device, url)) })).status === 200);
    for (let i = 1; i < DEVICE_LIMIT; i++) expect((await me({ ...fromAddress(), ...(await signFor(device, url)) })).status).toBe(200);
    const refused = await me({ ...fromAddress(), ...(await signFor(device, url)) });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining('for this device') });
    expect(refused.headers).toMatchObject({ 'retry-after': expect.stringMatching(/^\d+$/), 'ratelimit-limit': String(DEVICE_LIMIT), 'ratelimit-remaining': '0' });

    const address = fromAddress();
    for (let i = 0; i < ADDRESS_LIMIT; i++) expect((await me(address)).status).toBe(401);
    const byAddress = await me(address);
    expect(byAddress.status).toBe(429);
    expect(byAddress.body).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining('client address') });
  });

  it(`bounds the replay memory per device: past ${REPLAY_QUOTA} live signatures that device alone is refused`, async () => {
    const [noisy, quiet] = [await registered('noisy'), await registered('quiet')];
    const url = `${cluster.audience}/v1/me`;
    await eventually('the device known to the challenge service', async () => (await me({ ...fromAddress(), ...(await signFor(noisy, url)) })).status === 200);
    // Past its rate limit every request is 429 already, but each verified signature is still remembered.
    for (let i = 1; i < REPLAY_QUOTA; i++) await me({ ...fromAddress(), ...(await signFor(noisy, url)) });
    const over = await me({ ...fromAddress(), ...(await signFor(noisy, url)) });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining(`at most ${REPLAY_QUOTA} within`) });
    const quietStatus = await eventually('the other device known to the challenge service', async () => {
      const { status } = await me({ ...fromAddress(), ...(await signFor(quiet, url)) });
      return status === 401 ? null : status;
    });
    expect(quietStatus).toBe(200);
  });
});
