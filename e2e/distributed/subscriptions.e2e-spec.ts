import { eventually } from '@m2m-trust/shared-domain/testing';

import { createHmac } from 'node:crypto';
import WebSocket from 'ws';

import { Api } from '../support/client';
import { eventsOf, WebhookReceiver } from '../support/webhook-receiver';
import { type Cluster, startCluster } from './support/cluster';
import { authenticateWith, newDevice } from './support/devices';

/**
 * The binding's subscriptions in the distributed mode: created through the
 * gateway, kept in the audit service's PostgreSQL schema, delivered by the
 * audit service (webhooks) or passed through the gateway (WebSockets).
 */
describe('distributed mode: EPCIS subscriptions through the gateway', () => {
  let cluster: Cluster;
  let api: Api;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    cluster = await startCluster({ name: 'subs', env: { M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: '20', M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: '200' } });
    api = new Api(cluster.gateways[0]!.url, cluster.adminKey);
  });
  afterAll(async () => {
    await cluster?.stop();
    await receiver?.stop();
  });

  it('delivers signed webhooks from the audit service, retries a 500, and resumes after the audit service is killed without re-sending what was acknowledged', async () => {
    const device = await newDevice('subs-hook');
    const epc = `urn:m2m-trust:device:${device.deviceId}`;
    expect((await api.post('/epcis/queries', { name: 'subs-hook', query: { MATCH_epc: [epc] } })).status).toBe(201);
    const created = await api.post<{ subscriptionID: string }>('/epcis/queries/subs-hook/subscriptions', { dest: `${receiver.url}/hook`, signatureToken: 'dist-secret', stream: true });
    expect(created.status).toBe(201);
    expect((await api.get(created.headers.get('location') as string)).status).toBe(200);

    receiver.answer('/hook', 500);
    const client = cluster.client();
    await client.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
    await eventually('the registration acknowledged', () => receiver.acknowledged('/hook').length === 1);
    expect(receiver.to('/hook').map((d) => d.status)).toEqual([500, 200]);
    // Killed only once the acknowledgment is stored: one lost on its way into the store would be delivered again, rightly.
    await eventually('the acknowledgment stored', async () => (await api.get<{ lastNotifiedAt?: string }>(created.headers.get('location') as string)).body.lastNotifiedAt);

    await cluster.killAudit();
    await cluster.startAudit();
    expect((await authenticateWith(client, device, cluster.audience)).verified).toBe(true);
    await eventually('the authentication acknowledged', () => receiver.acknowledged('/hook').length === 2);
    expect(new Set(receiver.acknowledged('/hook')).size).toBe(2);
    for (const delivery of receiver.to('/hook')) {
      expect(delivery.headers['gs1-signature']).toBe(createHmac('sha256', 'dist-secret').update(delivery.raw).digest('base64'));
      expect(eventsOf(delivery).length).toBeGreaterThan(0);
    }
  });

  it('runs scheduled subscriptions in the audit service: one report per run, none empty, none lost or repeated when it is killed', async () => {
    const device = await newDevice('subs-sched');
    const epc = `urn:m2m-trust:device:${device.deviceId}`;
    expect((await api.post('/epcis/queries', { name: 'subs-sched', query: { MATCH_epc: [epc] } })).status).toBe(201);
    const created = await api.post('/epcis/queries/subs-sched/subscriptions', { dest: `${receiver.url}/sched`, schedule: { second: '[0-59]' } });
    expect(created.status).toBe(201);
    const client = cluster.client();
    await client.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
    await eventually('the registration reported', () => receiver.acknowledged('/sched').length === 1);
    await eventually('the run stored', async () => (await api.get<{ lastNotifiedAt?: string }>(created.headers.get('location') as string)).body.lastNotifiedAt);

    await cluster.killAudit();
    await cluster.startAudit();
    expect((await authenticateWith(client, device, cluster.audience)).verified).toBe(true);
    await eventually('the authentication reported', () => receiver.acknowledged('/sched').length === 2);
    expect(new Set(receiver.acknowledged('/sched')).size).toBe(2);
    for (const delivery of receiver.to('/sched')) expect(eventsOf(delivery).length).toBeGreaterThan(0);
  });

  it('passes WebSocket subscriptions through the gateway, refusals included', async () => {
    const device = await newDevice('subs-ws');
    expect((await api.post('/epcis/queries', { name: 'subs-ws', query: { MATCH_epc: [`urn:m2m-trust:device:${device.deviceId}`] } })).status).toBe(201);
    const url = `${cluster.gateways[0]!.url.replace(/^http/, 'ws')}/epcis/queries/subs-ws/events?stream=true`;
    const refused = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('unexpected-response', (_, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => reject(new Error('accepted without a key')));
      socket.once('error', () => undefined);
    });
    expect(refused).toBe(401);

    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${cluster.adminKey}` } });
    try {
      const messages: string[] = [];
      socket.on('message', (data) => messages.push(String(data)));
      await new Promise((opened, failed) => socket.once('open', opened).once('error', failed));
      await cluster.client().m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
      await eventually('the registration streamed', () => messages.length === 1);
      expect(JSON.parse(messages[0] as string)).toMatchObject({ type: 'EPCISQueryDocument', epcisBody: { queryResults: { queryName: 'subs-ws' } } });
    } finally {
      socket.terminate();
    }
  });
});
