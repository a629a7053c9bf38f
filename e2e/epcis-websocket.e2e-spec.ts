import { eventually } from '@m2m-trust/shared-domain/testing';

import WebSocket from 'ws';

import { Api, authenticate, newDevice, register } from './support/client';
import { expectValidEpcis } from './support/epcis-schema';
import { type RunningServer, startServer } from './support/server';

interface QueryDocument {
  type: string;
  epcisBody: { queryResults: { queryName: string; subscriptionID?: string; resultsBody: { eventList: { eventID: string; epcList: string[] }[] } } };
}

/** A WebSocket subscriber as the binding's clients open one: `ws`, the Node.js WebSocket library. */
class Listener {
  readonly messages: QueryDocument[] = [];
  closed: { code: number; reason: string } | null = null;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as QueryDocument));
    socket.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }

  /** Resolves once the handshake succeeded, or rejects with the HTTP answer that refused it. */
  static open(url: string, headers: Record<string, string>): Promise<{ listener: Listener; upgradeHeaders: Record<string, unknown> }> {
    return new Promise((opened, refused) => {
      const socket = new WebSocket(url, { headers });
      let upgradeHeaders: Record<string, unknown> = {};
      socket.once('upgrade', (response) => (upgradeHeaders = response.headers));
      socket.once('open', () => opened({ listener: new Listener(socket), upgradeHeaders }));
      socket.once('unexpected-response', (_, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => refused(Object.assign(new Error(`refused: ${response.statusCode}`), { status: response.statusCode, body, headers: response.headers })));
      });
      socket.once('error', (error) => refused(error));
    });
  }

  get events(): { eventID: string; epcList: string[] }[] {
    return this.messages.flatMap((m) => m.epcisBody.queryResults.resultsBody.eventList);
  }
}

interface Refusal {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** The binding's QuerySchedule as handshake parameters: `second=[0-59]`, a query time every second (the other fields omitted match any value). */
const EVERY_SECOND = `second=${encodeURIComponent('[0-59]')}`;

describe('EPCIS WebSocket subscriptions (GET /epcis/queries/{name}/events?stream=true, Upgrade: websocket)', () => {
  let server: RunningServer;
  let api: Api;
  const listeners: Listener[] = [];
  const wsUrl = (path: string): string => `${server.url.replace(/^http/, 'ws')}${path}`;
  const open = async (path: string, headers: Record<string, string> = { authorization: `Bearer ${server.adminKey}` }) => {
    const opened = await Listener.open(wsUrl(path), headers);
    listeners.push(opened.listener);
    return opened;
  };
  const refusal = (path: string, headers?: Record<string, string>): Promise<Refusal> =>
    open(path, headers).then(
      () => {
        throw new Error('the handshake was accepted');
      },
      (error: Refusal) => error,
    );

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
  });
  afterEach(() => {
    for (const listener of listeners.splice(0)) listener.socket.terminate();
  });
  afterAll(() => server.stop());

  it('upgrades (101 with the GS1 headers) and sends each new matching event as one message holding a valid EPCISQueryDocument', async () => {
    const device = newDevice('ws-live');
    const epc = `urn:m2m-trust:device:${device.deviceId}`;
    expect((await api.post('/epcis/queries', { name: 'ws-live', query: { MATCH_epc: [epc] } })).status).toBe(201);
    const { listener, upgradeHeaders } = await open('/epcis/queries/ws-live/events?stream=true');
    expect(upgradeHeaders['gs1-epcis-version']).toBe('2.0.0');
    expect((await register(api, device)).status).toBe(201);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    // Another device's events do not match the query.
    expect((await register(api, newDevice('ws-other'))).status).toBe(201);
    await eventually('both events', () => listener.events.length >= 2);
    expect(listener.events.map((e) => e.epcList)).toEqual([[epc], [epc]]);
    for (const message of listener.messages) {
      await expectValidEpcis(message);
      expect(message.epcisBody.queryResults.queryName).toBe('ws-live');
    }
  });

  it('replays events recorded since initialRecordTime first', async () => {
    const device = newDevice('ws-replay');
    expect((await register(api, device)).status).toBe(201);
    expect((await api.post('/epcis/queries', { name: 'ws-replay', query: { MATCH_epc: [`urn:m2m-trust:device:${device.deviceId}`] } })).status).toBe(201);
    const { listener } = await open('/epcis/queries/ws-replay/events?stream=true&initialRecordTime=2020-01-01T00:00:00Z');
    await eventually('the stored event', () => listener.events.length === 1);
  });

  it('refuses a handshake as any request is refused: 401 without a key, 404 for an unknown query, 400 without stream=true (problem+json)', async () => {
    expect((await api.post('/epcis/queries', { name: 'ws-refused', query: {} })).status).toBe(201);
    const unauthenticated = await refusal('/epcis/queries/ws-refused/events?stream=true', {});
    expect(unauthenticated.status).toBe(401);
    const missing = await refusal('/epcis/queries/ws-no-such-query/events?stream=true');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ type: 'epcisException:NoSuchNameException' });
    const unstreamed = await refusal('/epcis/queries/ws-refused/events');
    expect(unstreamed.status).toBe(400);
    expect(unstreamed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(unstreamed.body)).toMatchObject({ type: 'epcisException:SubscriptionControlsException' });
  });

  it('closes the socket (1000) when the query is deleted', async () => {
    expect((await api.post('/epcis/queries', { name: 'ws-deleted', query: {} })).status).toBe(201);
    const { listener } = await open('/epcis/queries/ws-deleted/events?stream=true');
    expect((await api.call('DELETE', '/epcis/queries/ws-deleted')).status).toBe(204);
    const closed = await eventually('the close frame', () => listener.closed);
    expect(closed).toEqual({ code: 1000, reason: 'query-deleted' });
  });

  describe('scheduled (the schedule fields as parameters of the handshake)', () => {
    it('sends one EPCISQueryDocument per query time with the events recorded since the previous one, each event once', async () => {
      const device = newDevice('ws-sched');
      const epc = `urn:m2m-trust:device:${device.deviceId}`;
      expect((await register(api, device)).status).toBe(201);
      expect((await api.post('/epcis/queries', { name: 'ws-sched', query: { MATCH_epc: [epc] } })).status).toBe(201);
      const { listener, upgradeHeaders } = await open(`/epcis/queries/ws-sched/events?${EVERY_SECOND}&reportIfEmpty=true&initialRecordTime=2020-01-01T00:00:00Z`);
      expect(upgradeHeaders['gs1-epcis-version']).toBe('2.0.0');
      // The first report holds what was recorded since initialRecordTime.
      await eventually('the stored event in a report', () => listener.events.length === 1);
      expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
      await eventually('the new event in a later report', () => listener.events.length === 2);
      const seen = listener.messages.length;
      // Later query times report nothing new: empty documents (reportIfEmpty=true), and no event twice.
      await eventually('two more reports', () => listener.messages.length >= seen + 2);
      const ids = listener.events.map((e) => e.eventID);
      expect(new Set(ids).size).toBe(2);
      expect(listener.events.map((e) => e.epcList)).toEqual([[epc], [epc]]);
      expect(listener.messages.slice(seen).every((m) => m.epcisBody.queryResults.resultsBody.eventList.length === 0)).toBe(true);
      const subscriptionIDs = new Set(listener.messages.map((m) => m.epcisBody.queryResults.subscriptionID));
      expect(subscriptionIDs.size).toBe(1);
      for (const message of listener.messages) {
        await expectValidEpcis(message);
        expect(message.type).toBe('EPCISQueryDocument');
        expect(message.epcisBody.queryResults.queryName).toBe('ws-sched');
      }
    });

    it('sends nothing at an idle query time without reportIfEmpty, and the matching events once they come', async () => {
      const device = newDevice('ws-idle');
      expect((await api.post('/epcis/queries', { name: 'ws-idle', query: { MATCH_epc: [`urn:m2m-trust:device:${device.deviceId}`] } })).status).toBe(201);
      const quiet = (await open(`/epcis/queries/ws-idle/events?${EVERY_SECOND}`)).listener;
      // A witness on the same schedule with reportIfEmpty=true shows that query times have passed.
      const witness = (await open(`/epcis/queries/ws-idle/events?${EVERY_SECOND}&reportIfEmpty=true`)).listener;
      await eventually('three idle query times', () => witness.messages.length >= 3);
      expect(quiet.messages).toEqual([]);
      expect((await register(api, device)).status).toBe(201);
      await eventually('the report of the new event', () => quiet.messages.length === 1);
      expect(quiet.events).toHaveLength(1);
    });

    it('refuses a schedule with stream=true, a bad schedule field or reportIfEmpty (400 SubscriptionControlsException), and a scheduled Server-Sent Events request', async () => {
      expect((await api.post('/epcis/queries', { name: 'ws-sched-refused', query: {} })).status).toBe(201);
      for (const params of ['stream=true&minute=5', 'second=60', `${EVERY_SECOND}&reportIfEmpty=maybe`, 'reportIfEmpty=true', `${EVERY_SECOND}&perPage=5`]) {
        const refused = await refusal(`/epcis/queries/ws-sched-refused/events?${params}`);
        expect([params, refused.status]).toEqual([params, 400]);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(refused.body)).toMatchObject({ type: 'epcisException:SubscriptionControlsException' });
      }
      const sse = await api.get(`/epcis/queries/ws-sched-refused/events?${EVERY_SECOND}`, { accept: 'text/event-stream' });
      expect(sse.status).toBe(400);
      expect(sse.body).toMatchObject({ type: 'epcisException:SubscriptionControlsException' });
    });

    it('stops its query times and closes the socket (1000) when the query is deleted', async () => {
      expect((await api.post('/epcis/queries', { name: 'ws-sched-deleted', query: {} })).status).toBe(201);
      const { listener } = await open(`/epcis/queries/ws-sched-deleted/events?${EVERY_SECOND}&reportIfEmpty=true`);
      await eventually('a report', () => listener.messages.length >= 1);
      expect((await api.call('DELETE', '/epcis/queries/ws-sched-deleted')).status).toBe(204);
      const closed = await eventually('the close frame', () => listener.closed);
      expect(closed).toEqual({ code: 1000, reason: 'query-deleted' });
    });
  });
});
