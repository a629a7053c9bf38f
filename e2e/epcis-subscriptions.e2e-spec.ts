import { eventually } from '@m2m-trust/shared-domain/testing';

import { createHmac, timingSafeEqual } from 'node:crypto';

import { Api, authenticate, type Device, newDevice, register } from './support/client';
import { expectValidEpcis } from './support/epcis-schema';
import { type RunningServer, startServer } from './support/server';
import { type Delivery, documentOf, eventsOf, WebhookReceiver } from './support/webhook-receiver';

interface SubscriptionAnswer {
  subscriptionID: string;
  queryName: string;
  dest: string;
  stream: boolean;
  initialRecordTime: string;
  createdAt: string;
  lastNotifiedAt?: string;
  schedule?: Record<string, string>;
  reportIfEmpty?: boolean;
}

/** What a receiver does with the binding's GS1-Signature: recompute HMAC-SHA-256 over the raw body with its own secret, compare in constant time. */
function signatureHolds(delivery: Delivery, secret: string): boolean {
  const header = delivery.headers['gs1-signature'];
  if (typeof header !== 'string') return false;
  const expected = createHmac('sha256', secret).update(delivery.raw).digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const epcOf = (device: Device): string => `urn:m2m-trust:device:${device.deviceId}`;
/** Every second: the smallest granularity of a QuerySchedule, so the scheduled tests wait on deliveries, not on a clock. */
const EVERY_SECOND = { second: '[0-59]' };
const QUICK_RETRIES = { M2M_EPCIS_WEBHOOK_RETRY_MIN_MS: '20', M2M_EPCIS_WEBHOOK_RETRY_MAX_MS: '200' };

describe('EPCIS webhook subscriptions (POST /epcis/queries/{name}/subscriptions)', () => {
  let server: RunningServer;
  let api: Api;
  let receiver: WebhookReceiver;

  /** A named query on one device's events, so each test sees only its own. */
  async function queryFor(name: string, device: Device): Promise<void> {
    expect((await api.post('/epcis/queries', { name, query: { MATCH_epc: [epcOf(device)] } })).status).toBe(201);
  }
  const subscribe = (name: string, body: Record<string, unknown>) => api.post<SubscriptionAnswer>(`/epcis/queries/${name}/subscriptions`, body);
  /** A registration and an authentication: two audited events of the device. */
  async function activity(device: Device): Promise<void> {
    expect((await register(api, device)).status).toBe(201);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
  }

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    // Quick retries, so a test about retrying does not wait for the production pauses.
    server = await startServer({ env: QUICK_RETRIES });
    api = new Api(server.url, server.adminKey);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.stop();
  });

  it('creates a subscription (201, Location), answers it without its secret, lists it and reads it back', async () => {
    const device = newDevice('sub-crud');
    await queryFor('sub-crud', device);
    const created = await subscribe('sub-crud', { dest: `${receiver.url}/crud?token=receiver-own`, signatureToken: 'sub-crud-secret', stream: true });
    expect(created.status).toBe(201);
    const id = created.body.subscriptionID;
    expect(created.headers.get('location')).toBe(`/epcis/queries/sub-crud/subscriptions/${id}`);
    expect(created.body).toEqual({
      subscriptionID: id,
      queryName: 'sub-crud',
      dest: `${receiver.url}/crud?token=receiver-own`,
      stream: true,
      initialRecordTime: created.body.createdAt,
      createdAt: expect.any(String),
    });
    const read = await api.get<SubscriptionAnswer>(created.headers.get('location') as string);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const list = await api.get<SubscriptionAnswer[]>('/epcis/queries/sub-crud/subscriptions');
    expect(list.body).toEqual([created.body]);
    for (const answer of [created, read, list]) expect(JSON.stringify(answer.body)).not.toContain('sub-crud-secret');
    expect(server.output()).not.toContain('sub-crud-secret');
  });

  it.each([
    ['no stream: true (the binding wants it explicit)', { dest: 'http://127.0.0.1:9/x' }],
    ['a schedule and stream: true (one or the other)', { dest: 'http://127.0.0.1:9/x', stream: true, schedule: { hour: '1' } }],
    ['reportIfEmpty on a stream', { dest: 'http://127.0.0.1:9/x', stream: true, reportIfEmpty: true }],
    ['a schedule field out of range', { dest: 'http://127.0.0.1:9/x', schedule: { hour: '24' } }],
    ['a schedule range without its brackets', { dest: 'http://127.0.0.1:9/x', schedule: { second: '1-5' } }],
    ['a schedule that matches no date', { dest: 'http://127.0.0.1:9/x', schedule: { dayOfMonth: '31', month: '4' } }],
    ['a dest that is not http(s)', { dest: 'file:///etc/passwd', stream: true }],
    ['a dest with credentials in it', { dest: 'http://user:secret-password@127.0.0.1:9/x', stream: true }],
    ['a relative dest', { dest: '/callback', stream: true }],
    ['an empty signature token', { dest: 'http://127.0.0.1:9/x', signatureToken: '', stream: true }],
    ['an initialRecordTime without a zone', { dest: 'http://127.0.0.1:9/x', stream: true, initialRecordTime: '2026-01-01T00:00:00' }],
    ['a field the binding does not define', { dest: 'http://127.0.0.1:9/x', stream: true, callback: 'x' }],
  ])('refuses %s with 400 SubscriptionControlsException, and subscribes nothing', async (_, body) => {
    const device = newDevice('sub-bad');
    const name = `sub-bad-${device.deviceId.slice(-6)}`;
    await queryFor(name, device);
    const refused = await subscribe(name, body);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'epcisException:SubscriptionControlsException', code: 'SUBSCRIPTION_CONTROLS_INVALID' });
    expect(JSON.stringify(refused.body)).not.toContain('secret-password');
    expect((await api.get(`/epcis/queries/${name}/subscriptions`)).body).toEqual([]);
  });

  it('names a subscription by its id alone too (/epcis/subscriptions/{id}): the same resource, read and deleted there', async () => {
    const device = newDevice('sub-by-id');
    await queryFor('sub-by-id', device);
    const created = await subscribe('sub-by-id', { dest: `${receiver.url}/by-id`, signatureToken: 'sub-by-id-secret', stream: true });
    expect(created.status).toBe(201);
    const id = created.body.subscriptionID;
    const byId = await api.get<SubscriptionAnswer>(`/epcis/subscriptions/${id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(created.body);
    expect(JSON.stringify(byId.body)).not.toContain('sub-by-id-secret');
    expect((await api.call('DELETE', `/epcis/subscriptions/${id}`)).status).toBe(204);
    for (const path of [`/epcis/subscriptions/${id}`, `/epcis/queries/sub-by-id/subscriptions/${id}`]) {
      const gone = await api.get(path);
      expect([path, gone.status, gone.body]).toEqual([path, 404, expect.objectContaining({ type: 'epcisException:NoSuchNameException', code: 'SUBSCRIPTION_NOT_FOUND' })]);
    }
    expect((await api.call('DELETE', '/epcis/subscriptions/not-a-uuid')).status).toBe(404);
    expect((await new Api(server.url, null).get(`/epcis/subscriptions/${id}`)).status).toBe(401);
  });

  it('answers 404 NoSuchNameException for a query or a subscription that does not exist', async () => {
    for (const [method, path, body] of [
      ['POST', '/epcis/queries/no-such-query/subscriptions', { dest: `${receiver.url}/x`, stream: true }],
      ['GET', '/epcis/queries/no-such-query/subscriptions', undefined],
      ['GET', '/epcis/queries/no-such-query/subscriptions/6f1d1c3e-0000-4000-8000-000000000000', undefined],
      ['DELETE', '/epcis/queries/no-such-query/subscriptions/not-a-uuid', undefined],
    ] as const) {
      const answer = await api.call(method, path, body);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ type: 'epcisException:NoSuchNameException' });
    }
  });

  it('POSTs each new matching event to dest as a valid EPCISQueryDocument, signed in GS1-Signature with the client\'s token', async () => {
    const device = newDevice('sub-signed');
    await queryFor('sub-signed', device);
    const created = await subscribe('sub-signed', { dest: `${receiver.url}/signed`, signatureToken: 'a client-made secret: 13df38d8', stream: true });
    expect(created.status).toBe(201);
    await activity(device);
    await eventually('both events delivered', () => receiver.acknowledged('/signed').length >= 2);
    const deliveries = receiver.to('/signed');
    for (const delivery of deliveries) {
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(signatureHolds(delivery, 'a client-made secret: 13df38d8')).toBe(true);
      expect(signatureHolds(delivery, 'another secret')).toBe(false);
      const document = documentOf(delivery);
      await expectValidEpcis(document);
      expect(document.epcisBody.queryResults).toMatchObject({ queryName: 'sub-signed', subscriptionID: created.body.subscriptionID });
    }
    const events = deliveries.flatMap((d) => eventsOf(d) as unknown as { epcList: string[]; eventID: string }[]);
    expect(events.map((e) => e.epcList)).toEqual([[epcOf(device)], [epcOf(device)]]);
    const read = await eventually('lastNotifiedAt recorded', async () => {
      const answer = await api.get<SubscriptionAnswer>(created.headers.get('location') as string);
      return answer.body.lastNotifiedAt !== undefined && answer;
    });
    expect(Date.parse(read.body.lastNotifiedAt as string)).toBeGreaterThanOrEqual(Date.parse(created.body.createdAt));
  });

  it('retries a delivery the receiver answers 500 (the same signed body), then never sends it again once it answered 200', async () => {
    const device = newDevice('sub-retry');
    await queryFor('sub-retry', device);
    receiver.answer('/retry', 500, 503);
    expect((await subscribe('sub-retry', { dest: `${receiver.url}/retry`, signatureToken: 'retry-secret', stream: true })).status).toBe(201);
    expect((await register(api, device)).status).toBe(201);
    await eventually('the registration acknowledged', () => receiver.acknowledged('/retry').length === 1);
    const [first, second, third] = receiver.to('/retry');
    expect([first?.status, second?.status, third?.status]).toEqual([500, 503, 200]);
    expect(second?.raw.equals(first?.raw as Buffer)).toBe(true);
    expect(third?.raw.equals(first?.raw as Buffer)).toBe(true);
    expect(third?.headers['gs1-signature']).toBe(first?.headers['gs1-signature']);
    // The next event proves the subscription moved on: it comes alone, the acknowledged one is not sent again.
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    await eventually('the authentication delivered', () => receiver.acknowledged('/retry').length === 2);
    const acknowledged = receiver.acknowledged('/retry');
    expect(new Set(acknowledged).size).toBe(2);
    expect(receiver.to('/retry')).toHaveLength(4);
  });

  it('delivers events recorded since initialRecordTime first, when the subscription asks for them', async () => {
    const device = newDevice('sub-initial');
    await activity(device);
    await queryFor('sub-initial', device);
    expect((await subscribe('sub-initial', { dest: `${receiver.url}/initial`, stream: true, initialRecordTime: '2020-01-01T00:00:00Z' })).status).toBe(201);
    await eventually('the earlier events delivered', () => receiver.acknowledged('/initial').length === 2);
    // Unsigned without a token, as the binding makes the token optional.
    expect(receiver.to('/initial')[0]?.headers['gs1-signature']).toBeUndefined();
  });

  it('stops delivering once the subscription is deleted, and deleting the query deletes its subscriptions', async () => {
    const device = newDevice('sub-delete');
    await queryFor('sub-delete', device);
    const doomed = await subscribe('sub-delete', { dest: `${receiver.url}/deleted`, stream: true });
    const witness = await subscribe('sub-delete', { dest: `${receiver.url}/witness`, stream: true });
    expect((await api.call('DELETE', `/epcis/queries/sub-delete/subscriptions/${doomed.body.subscriptionID}`)).status).toBe(204);
    expect((await api.get(`/epcis/queries/sub-delete/subscriptions/${doomed.body.subscriptionID}`)).status).toBe(404);
    await activity(device);
    // The witness, subscribed alike, got both events: the deleted one had every chance to get them too.
    await eventually('the witness served', () => receiver.acknowledged('/witness').length === 2);
    expect(receiver.to('/deleted')).toEqual([]);

    expect((await api.call('DELETE', '/epcis/queries/sub-delete')).status).toBe(204);
    expect((await api.get(`/epcis/queries/sub-delete/subscriptions/${witness.body.subscriptionID}`)).status).toBe(404);
  });

  it('resumes after a restart where the receiver last acknowledged: what was unacknowledged arrives, nothing acknowledged comes again', async () => {
    const device = newDevice('sub-restart');
    await queryFor('sub-restart', device);
    expect((await subscribe('sub-restart', { dest: `${receiver.url}/restart`, signatureToken: 'restart-secret', stream: true })).status).toBe(201);
    expect((await register(api, device)).status).toBe(201);
    await eventually('the registration acknowledged', () => receiver.acknowledged('/restart').length === 1);
    // The receiver now fails every attempt at the next event, until the server is stopped.
    receiver.answer('/restart', ...Array<number>(10_000).fill(500));
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    await eventually('a failed attempt at the authentication', () => receiver.to('/restart').some((d) => d.status === 500));
    await server.stop();
    receiver.acceptAll('/restart');
    server = await startServer({ dataDir: server.dataDir, adminKey: server.adminKey, env: QUICK_RETRIES });
    api = new Api(server.url, server.adminKey);
    await eventually('the authentication acknowledged after the restart', () => receiver.acknowledged('/restart').length === 2);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    await eventually('the next event acknowledged', () => receiver.acknowledged('/restart').length === 3);
    const acknowledged = receiver.acknowledged('/restart');
    expect(new Set(acknowledged).size).toBe(3);
    for (const delivery of receiver.to('/restart')) expect(signatureHolds(delivery, 'restart-secret')).toBe(true);
  });

  it('schedules: reports what was recorded since the previous run as one signed document per run; empty runs only with reportIfEmpty', async () => {
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
      expect(signatureHolds(delivery, 'sched-secret')).toBe(true);
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

  it('schedules: retries a report the receiver refuses, and after a restart neither loses nor repeats one', async () => {
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
