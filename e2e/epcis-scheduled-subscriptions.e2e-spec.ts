import { eventually } from '@m2m-trust/shared-domain/testing';

import { createHmac } from 'node:crypto';

import { Api, authenticate, type Device, newDevice, register } from './support/client';
import { expectValidEpcis } from './support/epcis-schema';
import { type RunningServer, startServer } from './support/server';
import { documentOf, eventsOf, WebhookReceiver } from './support/webhook-receiver';

interface SubscriptionAnswer {
  subscriptionID: string;
  schedule?: Record<string, string>;
  reportIfEmpty?: boolean;
  stream?: boolean;
}

const epcOf = (device: Device): string => `urn:m2m-trust:device:${device.deviceId}`;
/** Every second: the smallest granularity of a QuerySchedule, so the test waits on deliveries, not on a clock. */
const EVERY_SECOND = { second: '[0-59]' };
const QUICK_RETRIES = { M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: '20', M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: '200' };

describe('EPCIS scheduled webhook subscriptions (POST /epcis/queries/{name}/subscriptions with a schedule)', () => {
  let server: RunningServer;
  let api: Api;
  let receiver: WebhookReceiver;

  async function queryFor(name: string, device: Device): Promise<void> {
    expect((await api.post('/epcis/queries', { name, query: { MATCH_epc: [epcOf(device)] } })).status).toBe(201);
  }
  const subscribe = (name: string, body: Record<string, unknown>) => api.post<SubscriptionAnswer>(`/epcis/queries/${name}/subscriptions`, body);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    server = await startServer({ env: QUICK_RETRIES });
    api = new Api(server.url, server.adminKey);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.stop();
  });

  it('reports what was recorded since the previous run as one signed document per run; empty runs only with reportIfEmpty', async () => {
    const device = newDevice('sched-run');
    await queryFor('sched-run', device);
    const quiet = await subscribe('sched-run', { dest: `${receiver.url}/quiet`, signatureToken: 'sched-secret', schedule: EVERY_SECOND });
    expect(quiet.status).toBe(201);
    expect(quiet.body).toMatchObject({ schedule: EVERY_SECOND, reportIfEmpty: false });
    expect(quiet.body).not.toHaveProperty('stream');
    expect((await subscribe('sched-run', { dest: `${receiver.url}/chatty`, schedule: EVERY_SECOND, reportIfEmpty: true })).status).toBe(201);

    // Runs happen: the chatty one reports them empty, the quiet one stays silent.
    await eventually('two empty reports', () => receiver.to('/chatty').length >= 2);
    for (const delivery of receiver.to('/chatty')) expect(eventsOf(delivery)).toEqual([]);
    await expectValidEpcis(documentOf(receiver.to('/chatty')[0]!));
    expect(receiver.to('/quiet')).toEqual([]);

    // A registration and an authentication, both before the next run or split over two: together, each reported once.
    expect((await register(api, device)).status).toBe(201);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    await eventually('both events reported', () => receiver.acknowledged('/quiet').length === 2);
    for (const delivery of receiver.to('/quiet')) {
      expect(delivery.headers['gs1-signature']).toBe(createHmac('sha256', 'sched-secret').update(delivery.raw).digest('base64'));
      expect(eventsOf(delivery).length).toBeGreaterThan(0);
      const document = documentOf(delivery);
      await expectValidEpcis(document);
      expect(document.epcisBody.queryResults).toMatchObject({ queryName: 'sched-run', subscriptionID: quiet.body.subscriptionID });
    }
    // Later runs find nothing new: the chatty one keeps reporting (its reports after the events are empty again), the quiet one sends nothing more.
    const chattyBefore = receiver.to('/chatty').length;
    await eventually('two more runs', () => receiver.to('/chatty').length >= chattyBefore + 2);
    expect(receiver.acknowledged('/quiet')).toHaveLength(2);
    expect(receiver.acknowledged('/chatty').sort()).toEqual(receiver.acknowledged('/quiet').sort());
  });

  it('retries a report the receiver refuses, and after a restart neither loses nor repeats one', async () => {
    const device = newDevice('sched-restart');
    await queryFor('sched-restart', device);
    expect((await subscribe('sched-restart', { dest: `${receiver.url}/sched-restart`, schedule: EVERY_SECOND })).status).toBe(201);
    expect((await register(api, device)).status).toBe(201);
    await eventually('the registration reported', () => receiver.acknowledged('/sched-restart').length === 1);
    receiver.answer('/sched-restart', ...Array<number>(10_000).fill(500));
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    await eventually('a refused report of the authentication', () => receiver.to('/sched-restart').some((d) => d.status === 500));
    await server.stop();
    receiver.acceptAll('/sched-restart');
    server = await startServer({ dataDir: server.dataDir, adminKey: server.adminKey, env: QUICK_RETRIES });
    api = new Api(server.url, server.adminKey);
    await eventually('the authentication reported after the restart', () => receiver.acknowledged('/sched-restart').length === 2);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    await eventually('the next event reported', () => receiver.acknowledged('/sched-restart').length === 3);
    expect(new Set(receiver.acknowledged('/sched-restart')).size).toBe(3);
  });
});
