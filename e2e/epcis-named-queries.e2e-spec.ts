import { type ClientRequest, get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

import { type Answer, Api, authenticate, newDevice, register } from './support/client';
import { expectValidEpcis } from './support/epcis-schema';
import { type RunningServer, startServer } from './support/server';

interface EpcisEvent {
  type: string;
  eventID: string;
  eventTime: string;
  recordTime: string;
  epcList: string[];
  action: string;
  bizStep: string;
  disposition: string;
  [extension: string]: unknown;
}
interface QueryDocument {
  type: string;
  epcisBody: { queryResults: { queryName: string; subscriptionID?: string; resultsBody: { eventList: EpcisEvent[] } } };
}
interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

const eventsOf = (answer: Answer<QueryDocument>): EpcisEvent[] => answer.body.epcisBody.queryResults.resultsBody.eventList;
const nextOf = (answer: Answer<unknown>): string | null => {
  const link = answer.headers.get('link');
  return link ? (/^<([^>]+)>; rel="next"$/.exec(link) as RegExpExecArray)[1] as string : null;
};

/**
 * A Server-Sent Events client: what an auditor's EventSource does, with the
 * headers it sends, on a connection of its own that closing destroys (as a
 * browser tab going away does).
 */
class Subscriber {
  readonly frames: Frame[] = [];
  ended = false;
  private text = '';

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly request: ClientRequest,
    response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('end', () => (this.ended = true));
    response.on('error', () => (this.ended = true));
  }

  static open(url: string, headers: Record<string, string>): Promise<Subscriber> {
    return new Promise((opened, failed) => {
      const request = get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (response) =>
        opened(new Subscriber(response.statusCode ?? 0, response.headers, request, response)),
      );
      request.on('error', failed);
    });
  }

  private receive(chunk: string): void {
    this.text += chunk;
    let cut: number;
    while ((cut = this.text.indexOf('\n\n')) >= 0) {
      const frame: Record<string, string> = {};
      for (const line of this.text.slice(0, cut).split('\n')) {
        if (line.startsWith(':')) frame['comment'] = line.slice(1).trim();
        else frame[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 1).trimStart();
      }
      this.frames.push(frame);
      this.text = this.text.slice(cut + 2);
    }
  }

  get documents(): QueryDocument[] {
    return this.frames.filter((f) => f.data !== undefined && f.event === undefined).map((f) => JSON.parse(f.data as string) as QueryDocument);
  }

  get events(): EpcisEvent[] {
    return this.documents.flatMap((d) => d.epcisBody.queryResults.resultsBody.eventList);
  }

  /** Generous: the deadline only names what never came (a slow, busy machine still gets there). */
  async until(done: () => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(this.frames.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.request.destroy();
  }
}

describe('EPCIS named queries and subscriptions', () => {
  let server: RunningServer;
  let api: Api;
  const subscribers: Subscriber[] = [];
  const device = newDevice('named');
  const epc = `urn:m2m-trust:device:${device.deviceId}`;

  const subscribe = async (name: string, query = 'stream=true', headers: Record<string, string> = {}): Promise<Subscriber> => {
    const subscriber = await Subscriber.open(`${server.url}/epcis/queries/${name}/events?${query}`, { authorization: `Bearer ${server.adminKey}`, ...headers });
    subscribers.push(subscriber);
    return subscriber;
  };
  const create = (name: string, query: Record<string, unknown>) => api.post(`/epcis/queries`, { name, query });

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
    expect((await register(api, device)).status).toBe(201);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
  });
  afterEach(() => {
    for (const subscriber of subscribers.splice(0)) subscriber.close();
  });
  afterAll(() => server.stop());

  describe('POST, GET, DELETE /epcis/queries', () => {
    it('creates a named query (201, Location, GS1 headers), reads it back as given, and lists it', async () => {
      const query = { MATCH_epc: [epc], EQ_bizStep: ['inspecting'], orderBy: 'eventTime', orderDirection: 'ASC' };
      const created = await create('device-inspections', query);
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe('/epcis/queries/device-inspections');
      expect(created.headers.get('gs1-epcis-version')).toBe('2.0.0');
      expect(created.headers.get('gs1-cbv-version')).toBe('2.0.0');
      expect(created.body).toEqual({ name: 'device-inspections', query });
      const read = await api.get(created.headers.get('location') as string);
      expect(read.status).toBe(200);
      expect(read.headers.get('gs1-epcis-version')).toBe('2.0.0');
      expect(read.body).toEqual({ name: 'device-inspections', query });
      const list = await api.get<{ name: string }[]>('/epcis/queries?perPage=1000');
      expect(list.status).toBe(200);
      expect(list.body).toContainEqual({ name: 'device-inspections', query });
    });

    it('answers 409 ResourceAlreadyExistsException for a name taken, and keeps the first definition', async () => {
      expect((await create('taken', { EQ_action: ['ADD'] })).status).toBe(201);
      const again = await create('taken', { EQ_action: ['DELETE'] });
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(again.body).toMatchObject({ type: 'epcisException:ResourceAlreadyExistsException', code: 'QUERY_EXISTS' });
      expect((await api.get('/epcis/queries/taken')).body).toEqual({ name: 'taken', query: { EQ_action: ['ADD'] } });
    });

    it('lists in name order, in pages linked by the Link header', async () => {
      for (const name of ['page-c', 'page-a', 'page-b']) expect((await create(name, {})).status).toBe(201);
      const names: string[] = [];
      let next: string | null = '/epcis/queries?perPage=2';
      while (next) {
        const answer: Answer<{ name: string }[]> = await api.get<{ name: string }[]>(next);
        expect(answer.status).toBe(200);
        expect(answer.body.length).toBeLessThanOrEqual(2);
        names.push(...answer.body.map((q) => q.name));
        next = nextOf(answer);
      }
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    });

    it('deletes a query (204); then it is 404 NoSuchNameException everywhere', async () => {
      expect((await create('short-lived', {})).status).toBe(201);
      expect((await api.call('DELETE', '/epcis/queries/short-lived')).status).toBe(204);
      for (const [method, path] of [
        ['GET', '/epcis/queries/short-lived'],
        ['DELETE', '/epcis/queries/short-lived'],
        ['GET', '/epcis/queries/short-lived/events'],
        ['GET', '/epcis/queries/short-lived/events?stream=true'],
      ] as const) {
        const answer = await api.call(method, path);
        expect(answer.status).toBe(404);
        expect(answer.body).toMatchObject({ type: 'epcisException:NoSuchNameException', code: 'QUERY_NOT_FOUND' });
      }
    });

    it('keeps named queries across a restart on the same data', async () => {
      expect((await create('durable', { EQ_action: ['ADD'] })).status).toBe(201);
      const restarted = await (async () => {
        await server.stop();
        server = await startServer({ dataDir: server.dataDir, adminKey: server.adminKey });
        api = new Api(server.url, server.adminKey);
        return api.get('/epcis/queries/durable');
      })();
      expect(restarted.body).toEqual({ name: 'durable', query: { EQ_action: ['ADD'] } });
    });

    it.each([
      ['a body without a query', { name: 'q1' }],
      ['a list written as a string', { name: 'q2', query: { EQ_bizStep: 'inspecting' } }],
      ['a count written as a string', { name: 'q3', query: { maxEventCount: '5' } }],
      ['a name that cannot be a path segment', { name: 'a/b', query: {} }],
      ['an unknown field beside name and query', { name: 'q4', query: {}, dest: 'https://example.com' }],
    ])('refuses %s with 400 QueryValidationException', async (_, body) => {
      const answer = await api.post('/epcis/queries', body);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryValidationException', code: 'QUERY_INVALID' });
    });

    it.each([
      ['a parameter the standard does not define', { EQ_colour: ['red'] }],
      ['an unknown action', { EQ_action: ['DESTROY'] }],
      ['a time without a zone', { GE_eventTime: '2026-01-01T00:00:00' }],
      ['eventCountLimit without orderBy', { eventCountLimit: 3 }],
      ['eventCountLimit with maxEventCount', { orderBy: 'eventTime', eventCountLimit: 3, maxEventCount: 3 }],
    ])('refuses %s with 400 QueryParameterException', async (_, query) => {
      const answer = await create('refused', query);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException', code: 'QUERY_PARAMETER_INVALID' });
      expect((await api.get('/epcis/queries/refused')).status).toBe(404);
    });

    it.each([
      ['GET', '/epcis/queries?EQ_action=ADD'],
      ['GET', '/epcis/queries?perPage=0'],
      ['GET', '/epcis/queries?nextPageToken=forged'],
      ['GET', '/epcis/queries/taken?perPage=1'],
      ['DELETE', '/epcis/queries/taken?force=true'],
      ['GET', '/epcis/queries/taken/events?EQ_action=DELETE'],
      ['GET', '/epcis/queries/taken/events?nextPageToken=forged'],
    ] as const)('%s %s: 400 QueryParameterException', async (method, path) => {
      const answer = await api.call(method, path);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException' });
    });

    it.each([
      ['POST', '/epcis/queries'],
      ['GET', '/epcis/queries'],
      ['GET', '/epcis/queries/taken'],
      ['DELETE', '/epcis/queries/taken'],
      ['GET', '/epcis/queries/taken/events'],
      ['GET', '/epcis/queries/taken/events?stream=true'],
    ] as const)('%s %s requires the API key', async (method, path) => {
      const answer = await new Api(server.url, null).call(method, path, method === 'POST' ? { name: 'x', query: {} } : undefined);
      expect(answer.status).toBe(401);
    });
  });

  describe('GET /epcis/queries/{name}/events', () => {
    it('runs the stored query, paged like /events, and answers what /events answers for the same parameters', async () => {
      expect((await create('device-history', { MATCH_epc: [epc], orderBy: 'eventTime', orderDirection: 'ASC' })).status).toBe(201);
      const direct = await api.get<QueryDocument>(`/epcis/events?MATCH_epc=${encodeURIComponent(epc)}&orderBy=eventTime&orderDirection=ASC`);
      const collected: EpcisEvent[] = [];
      let next: string | null = '/epcis/queries/device-history/events?perPage=1';
      let pages = 0;
      while (next) {
        const answer: Answer<QueryDocument> = await api.get<QueryDocument>(next);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toMatch(/^application\/ld\+json/);
        expect(answer.headers.get('gs1-epcis-version')).toBe('2.0.0');
        expect(answer.headers.get('gs1-cbv-version')).toBe('2.0.0');
        expectValidEpcis(answer.body);
        expect(answer.body.epcisBody.queryResults.queryName).toBe('device-history');
        collected.push(...eventsOf(answer));
        next = nextOf(answer);
        pages++;
      }
      expect(pages).toBe(3);
      expect(collected).toEqual(eventsOf(direct));
    });

    it('refuses a page token once the query was deleted and created again under the same name', async () => {
      expect((await create('recreated', {})).status).toBe(201);
      const first = await api.get('/epcis/queries/recreated/events?perPage=1');
      const next = nextOf(first) as string;
      expect((await api.call('DELETE', '/epcis/queries/recreated')).status).toBe(204);
      expect((await create('recreated', {})).status).toBe(201);
      const answer = await api.get(next);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException' });
    });

    it('answers 413 QueryTooLargeException when the stored maxEventCount is exceeded', async () => {
      expect((await create('too-large', { maxEventCount: 1 })).status).toBe(201);
      const answer = await api.get('/epcis/queries/too-large/events');
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryTooLargeException' });
    });
  });

  describe('subscriptions: GET /epcis/queries/{name}/events?stream=true (Server-Sent Events)', () => {
    it('pushes each new matching event as an EPCISQueryDocument equal to the stored event, and nothing that does not match', async () => {
      expect((await create('failures', { EQ_disposition: ['non_conformant'] })).status).toBe(201);
      const subscriber = await subscribe('failures');
      expect(subscriber.status).toBe(200);
      expect(subscriber.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(subscriber.headers['gs1-epcis-version']).toBe('2.0.0');
      expect(subscriber.headers['gs1-cbv-version']).toBe('2.0.0');
      await subscriber.until(() => subscriber.frames.length > 0);

      const watched = newDevice('watched');
      expect((await register(api, watched)).status).toBe(201);
      expect((await authenticate(api, watched)).body).toMatchObject({ verified: true });
      const c = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: watched.deviceId });
      await api.post('/v1/challenges/verify', { challengeId: c.body.id, signature: newDevice().signHex(c.body.nonce) });

      await subscriber.until(() => subscriber.events.length >= 1);
      const [document] = subscriber.documents;
      expectValidEpcis(document);
      expect(document?.epcisBody.queryResults).toMatchObject({ queryName: 'failures', subscriptionID: expect.any(String) });
      const [pushed] = subscriber.events as [EpcisEvent];
      expect(pushed).toMatchObject({ disposition: 'non_conformant', 'm2m:reason': 'SIGNATURE_INVALID', epcList: [`urn:m2m-trust:device:${watched.deviceId}`] });
      // GET /events/{eventID} answers the binding's EPCISQueryDocument around the stored event.
      const stored = await api.get<QueryDocument>(`/epcis/events/${encodeURIComponent(pushed.eventID)}`);
      expect(stored.body.epcisBody.queryResults.resultsBody.eventList).toEqual([pushed]);
      // The SSE id is the event's ID: where a reconnecting EventSource resumes.
      expect(subscriber.frames.find((f) => f.data !== undefined)?.id).toBe(pushed.eventID);
      // Only the failures matched: a second one, pushed after the registration and the success
      // had their turn, comes right after the first, with nothing between them.
      const again = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: watched.deviceId });
      await api.post('/v1/challenges/verify', { challengeId: again.body.id, signature: newDevice().signHex(again.body.nonce) });
      await subscriber.until(() => subscriber.events.length >= 2);
      expect(subscriber.events.map((event) => [event.disposition, event['m2m:reason']])).toEqual([
        ['non_conformant', 'SIGNATURE_INVALID'],
        ['non_conformant', 'SIGNATURE_INVALID'],
      ]);
    });

    it('replays from initialRecordTime before going live, and resumes after Last-Event-ID', async () => {
      expect((await create('history', { MATCH_epc: [epc] })).status).toBe(201);
      const stored = eventsOf(await api.get<QueryDocument>(`/epcis/events?MATCH_epc=${encodeURIComponent(epc)}`));
      expect(stored).toHaveLength(3);
      const replayed = await subscribe('history', 'stream=true&initialRecordTime=2000-01-01T00:00:00Z');
      await replayed.until(() => replayed.events.length === 3);
      expect(replayed.events).toEqual(stored);

      const resumed = await subscribe('history', 'stream=true', { 'last-event-id': (stored[0] as EpcisEvent).eventID });
      await resumed.until(() => resumed.events.length === 2);
      expect(resumed.events).toEqual(stored.slice(1));
      expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
      await resumed.until(() => resumed.events.length === 3);
      await replayed.until(() => replayed.events.length === 4);
      expect(resumed.events[2]).toEqual(replayed.events[3]);
    });

    it('sends a comment at once so the client knows the subscription is open, with a retry hint', async () => {
      expect((await create('hello', {})).status).toBe(201);
      const subscriber = await subscribe('hello');
      await subscriber.until(() => subscriber.frames.length > 0);
      expect(subscriber.frames[0]).toMatchObject({ retry: '2000', comment: expect.stringMatching(/^subscription [0-9a-f-]{36} to hello$/) });
    });

    it('ends every subscription of a deleted query with a last `end` event', async () => {
      expect((await create('doomed', {})).status).toBe(201);
      const subscriber = await subscribe('doomed');
      await subscriber.until(() => subscriber.frames.length > 0);
      expect((await api.call('DELETE', '/epcis/queries/doomed')).status).toBe(204);
      await subscriber.until(() => subscriber.ended);
      expect(subscriber.frames.at(-1)).toMatchObject({ event: 'end', data: expect.stringContaining('query-deleted') });
    });

    it('bounds open subscriptions (64): one more is 503 until a client disconnects and its slot is freed', async () => {
      expect((await create('crowded', {})).status).toBe(201);
      const open = await Promise.all(Array.from({ length: 64 }, () => subscribe('crowded')));
      for (const subscriber of open) expect(subscriber.status).toBe(200);
      const refused = await api.get('/epcis/queries/crowded/events?stream=true', { accept: 'text/event-stream' });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'SUBSCRIPTION_LIMIT_REACHED' });
      (open[0] as Subscriber).close();
      // The server frees the slot when it sees the connection close.
      const deadline = Date.now() + 60_000;
      let admitted: Subscriber | null = null;
      while (!admitted && Date.now() < deadline) {
        const attempt = await subscribe('crowded');
        if (attempt.status === 200) admitted = attempt;
        else await new Promise((r) => setTimeout(r, 20));
      }
      expect(admitted?.status).toBe(200);
    });

    it('does not hold the server up at shutdown: open streams end and the process exits cleanly', async () => {
      const own = await startServer();
      try {
        const ownApi = new Api(own.url, own.adminKey);
        expect((await ownApi.post('/epcis/queries', { name: 'open', query: {} })).status).toBe(201);
        const subscriber = await Subscriber.open(`${own.url}/epcis/queries/open/events?stream=true`, { authorization: `Bearer ${own.adminKey}` });
        await subscriber.until(() => subscriber.frames.length > 0);
        expect(await own.stop()).toBe('SIGTERM');
        await subscriber.until(() => subscriber.ended);
        expect(subscriber.frames.at(-1)).toMatchObject({ event: 'end', data: expect.stringContaining('shutdown') });
      } finally {
        await own.stop();
      }
    });

    it.each([
      ['stream=false', 'SubscriptionControlsException', 400],
      ['stream=true&hour=1', 'SubscriptionControlsException', 400],
      ['stream=true&perPage=10', 'SubscriptionControlsException', 400],
      ['stream=true&initialRecordTime=yesterday', 'SubscriptionControlsException', 400],
      ['initialRecordTime=2026-01-01T00:00:00Z', 'SubscriptionControlsException', 400],
      ['stream=true&EQ_action=ADD', 'QueryParameterException', 400],
    ])('refuses %s with %s', async (query, type, status) => {
      expect([201, 409]).toContain((await create('controls', {})).status);
      const answer = await api.get(`/epcis/queries/controls/events?${query}`, { accept: 'text/event-stream' });
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ type: `epcisException:${type}` });
    });

    it('refuses an unknown Last-Event-ID, and a client that accepts only JSON (406)', async () => {
      expect([201, 409]).toContain((await create('controls', {})).status);
      const unknown = await api.get('/epcis/queries/controls/events?stream=true', { accept: 'text/event-stream', 'last-event-id': 'ni:///sha-256;00?ver=CBV2.0' });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ type: 'epcisException:SubscriptionControlsException' });
      const json = await api.get('/epcis/queries/controls/events?stream=true', { accept: 'application/json' });
      expect(json.status).toBe(406);
      expect(json.body).toMatchObject({ type: 'epcisException:NotAcceptableException', code: 'NOT_ACCEPTABLE' });
    });
  });
});
