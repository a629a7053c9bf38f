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
  '@context': unknown;
  type: string;
  epcisBody: { queryResults: { queryName: string; resultsBody: { eventList: EpcisEvent[] } } };
}

const eventsOf = (answer: Answer<QueryDocument>): EpcisEvent[] => answer.body.epcisBody.queryResults.resultsBody.eventList;
const nextOf = (answer: Answer<unknown>): string | null => {
  const link = answer.headers.get('link');
  return link ? (/^<([^>]+)>; rel="next"$/.exec(link) as RegExpExecArray)[1] as string : null;
};
const ids = (events: readonly EpcisEvent[]): string[] => events.map((e) => e.eventID);

describe('EPCIS query binding: ordering, counts and top-level resources', () => {
  let server: RunningServer;
  let api: Api;
  const devices = [newDevice('order-a'), newDevice('order-b'), newDevice('order-c')];
  const epcOf = (i: number): string => `urn:m2m-trust:device:${(devices[i] as { deviceId: string }).deviceId}`;

  /** GET, expect 200 with a valid EPCIS document and the version headers. */
  const query = async (path: string): Promise<Answer<QueryDocument>> => {
    const answer = await api.get<QueryDocument>(path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(answer.headers.get('gs1-epcis-version')).toBe('2.0.0');
    expect(answer.headers.get('gs1-cbv-version')).toBe('2.0.0');
    expectValidEpcis(answer.body);
    return answer;
  };

  /** Follows the Link header to the end; `between` runs after each page (to append events meanwhile). */
  const pages = async (first: string, between: () => Promise<void> = async () => undefined): Promise<{ events: EpcisEvent[]; count: number }> => {
    const events: EpcisEvent[] = [];
    let next: string | null = first;
    let count = 0;
    while (next) {
      const answer = await query(next);
      events.push(...eventsOf(answer));
      count++;
      next = nextOf(answer);
      await between();
    }
    return { events, count };
  };

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
    for (const device of devices) expect((await register(api, device)).status).toBe(201);
    for (const device of devices) expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    const c = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: (devices[1] as { deviceId: string }).deviceId });
    await api.post('/v1/challenges/verify', { challengeId: c.body.id, signature: newDevice().signHex(c.body.nonce) });
    expect((await api.post(`/v1/devices/${(devices[2] as { deviceId: string }).deviceId}/revoke`, { reason: 'retired' })).status).toBe(200);
  });
  afterAll(() => server.stop());

  describe('GET /epcis/events with orderBy, orderDirection, eventCountLimit, maxEventCount', () => {
    it('orders by eventTime and recordTime in either direction, defaulting to DESC as the binding does', async () => {
      const recordOrder = eventsOf(await query('/epcis/events?perPage=1000'));
      expect(recordOrder.length).toBeGreaterThanOrEqual(8);
      for (const [field, params] of [
        ['eventTime', 'orderBy=eventTime&orderDirection=ASC'],
        ['recordTime', 'orderBy=recordTime&orderDirection=ASC'],
      ] as const) {
        const ascending = eventsOf(await query(`/epcis/events?perPage=1000&${params}`));
        expect(ascending.map((e) => e[field])).toEqual([...ascending.map((e) => e[field])].sort());
        expect(new Set(ids(ascending))).toEqual(new Set(ids(recordOrder)));
        const descending = eventsOf(await query(`/epcis/events?perPage=1000&orderBy=${field}`));
        expect(ids(descending)).toEqual(ids(ascending).reverse());
      }
      // Without orderBy: record order, reversed by orderDirection=DESC.
      expect(ids(eventsOf(await query('/epcis/events?perPage=1000&orderDirection=DESC')))).toEqual(ids(recordOrder).reverse());
    });

    it('pages every ordering to exactly the whole result, in pages of 2', async () => {
      for (const order of ['', '&orderBy=eventTime', '&orderBy=eventTime&orderDirection=ASC', '&orderBy=recordTime', '&orderDirection=DESC']) {
        const whole = eventsOf(await query(`/epcis/events?perPage=1000${order}`));
        const paged = await pages(`/epcis/events?perPage=2${order}`);
        expect(ids(paged.events)).toEqual(ids(whole));
        expect(paged.count).toBe(Math.ceil(whole.length / 2));
      }
    });

    it('keeps every ordering correct while new events arrive between pages: nothing repeats, nothing already there is missed', async () => {
      for (const order of ['orderBy=eventTime', 'orderBy=eventTime&orderDirection=ASC', 'orderDirection=DESC', 'orderBy=recordTime&orderDirection=ASC']) {
        const before = ids(eventsOf(await query(`/epcis/events?perPage=1000&${order}`)));
        const paged = await pages(`/epcis/events?perPage=3&${order}`, async () => {
          expect((await register(api, newDevice('arriving'))).status).toBe(201);
        });
        const seen = ids(paged.events);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toEqual(expect.arrayContaining(before));
      }
    });

    it('returns at most eventCountLimit events in all, across pages: the latest first with orderBy=eventTime', async () => {
      const latest = eventsOf(await query('/epcis/events?orderBy=eventTime&perPage=5'));
      const limited = await pages('/epcis/events?orderBy=eventTime&eventCountLimit=5&perPage=2');
      expect(limited.count).toBe(3);
      expect(ids(limited.events)).toEqual(ids(latest));
      // The extremal query of the binding: the most recent event of one device.
      const last = eventsOf(await query(`/epcis/events?MATCH_epc=${encodeURIComponent(epcOf(2))}&orderBy=eventTime&eventCountLimit=1`));
      expect(last.map((e) => [e.action, e['m2m:reason']])).toEqual([['DELETE', 'retired']]);
    });

    it('answers maxEventCount with the result when it fits, and 413 QueryTooLargeException when more events match', async () => {
      const epc = encodeURIComponent(epcOf(1));
      const all = eventsOf(await query(`/epcis/events?MATCH_epc=${epc}`));
      expect(all).toHaveLength(3);
      const fits = await pages(`/epcis/events?MATCH_epc=${epc}&maxEventCount=3&perPage=2`);
      expect(ids(fits.events)).toEqual(ids(all));
      const tooMany = await api.get(`/epcis/events?MATCH_epc=${epc}&maxEventCount=2`);
      expect(tooMany.status).toBe(413);
      expect(tooMany.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(tooMany.body).toMatchObject({ type: 'epcisException:QueryTooLargeException', code: 'QUERY_TOO_LARGE', status: 413 });
    });

    it('refuses a page token of the same filters in another order', async () => {
      const first = await query('/epcis/events?orderBy=eventTime&perPage=1');
      const token = new URLSearchParams((nextOf(first) as string).split('?')[1]).get('nextPageToken') as string;
      const answer = await api.get(`/epcis/events?orderBy=recordTime&perPage=1&nextPageToken=${token}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException' });
    });
  });

  describe('GET /epcis/events/{eventID}', () => {
    it("answers the binding's EPCISQueryDocument holding the one event, equal to the event in query results", async () => {
      const [registered] = eventsOf(await query(`/epcis/events?MATCH_epc=${encodeURIComponent(epcOf(0))}`));
      const answer = await query(`/epcis/events/${encodeURIComponent((registered as EpcisEvent).eventID)}`);
      expect(answer.body['@context']).toEqual(['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { m2m: 'https://ns.m2m-trust.org/epcis/' }]);
      expect(answer.body.type).toBe('EPCISQueryDocument');
      expect(eventsOf(answer)).toEqual([registered]);
    });

    it('answers 404 NoSuchNameException for an unknown event ID', async () => {
      const answer = await api.get(`/epcis/events/${encodeURIComponent(`ni:///sha-256;${'0'.repeat(64)}?ver=CBV2.0`)}`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: 'epcisException:NoSuchNameException', code: 'EVENT_NOT_FOUND' });
    });
  });

  describe('GET /epcis/eventTypes', () => {
    it('lists the event types the repository holds, as a Collection', async () => {
      const answer = await api.get('/epcis/eventTypes');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('gs1-epcis-version')).toBe('2.0.0');
      expect(answer.headers.get('gs1-cbv-version')).toBe('2.0.0');
      expect(answer.body).toEqual({
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { m2m: 'https://ns.m2m-trust.org/epcis/' }],
        type: 'Collection',
        member: ['ObjectEvent'],
      });
    });

    it('is empty for a repository with no events yet', async () => {
      const fresh = await startServer();
      try {
        const answer = await new Api(fresh.url, fresh.adminKey).get('/epcis/eventTypes');
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ type: 'Collection', member: [] });
      } finally {
        await fresh.stop();
      }
    });
  });

  describe('GET /epcis/epcs/{epc}/events and /epcis/bizSteps/{bizStep}/events', () => {
    it('answers the same as /events with MATCH_epc, with the same filters and paging', async () => {
      const epc = encodeURIComponent(epcOf(1));
      const viaQuery = eventsOf(await query(`/epcis/events?MATCH_epc=${epc}&EQ_bizStep=inspecting`));
      expect(viaQuery).toHaveLength(2);
      const viaResource = await pages(`/epcis/epcs/${epc}/events?EQ_bizStep=inspecting&perPage=1`);
      expect(viaResource.count).toBe(2);
      expect(ids(viaResource.events)).toEqual(ids(viaQuery));
      expect(eventsOf(await query(`/epcis/epcs/${encodeURIComponent('urn:m2m-trust:device:nobody')}/events`))).toEqual([]);
    });

    it('answers the same as /events with EQ_bizStep, for the bare word and the CBV URI alike', async () => {
      const viaQuery = eventsOf(await query('/epcis/events?EQ_bizStep=decommissioning&perPage=1000'));
      expect(viaQuery.length).toBeGreaterThanOrEqual(1);
      const bare = await pages('/epcis/bizSteps/decommissioning/events?perPage=1');
      expect(ids(bare.events)).toEqual(ids(viaQuery));
      const uri = eventsOf(await query(`/epcis/bizSteps/${encodeURIComponent('https://ref.gs1.org/cbv/BizStep-decommissioning')}/events?perPage=1000`));
      expect(ids(uri)).toEqual(ids(viaQuery));
      const ordered = eventsOf(await query('/epcis/bizSteps/inspecting/events?orderBy=eventTime&eventCountLimit=2'));
      expect(ids(ordered)).toEqual(ids(eventsOf(await query('/epcis/events?EQ_bizStep=inspecting&orderBy=eventTime&perPage=2'))));
    });

    it('refuses a page token of one EPC on another', async () => {
      const first = await query(`/epcis/epcs/${encodeURIComponent(epcOf(1))}/events?perPage=1`);
      const token = new URLSearchParams((nextOf(first) as string).split('?')[1]).get('nextPageToken') as string;
      const answer = await api.get(`/epcis/epcs/${encodeURIComponent(epcOf(0))}/events?perPage=1&nextPageToken=${token}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException' });
    });
  });

  describe('every standard query parameter (EPCIS 2.0 section 8.2.7.1)', () => {
    const enc = (params: Record<string, string>): string => new URLSearchParams({ perPage: '1000', ...params }).toString();

    it.each([
      ['EQ_readPoint', 'urn:epc:id:sgln:0614141.07346.1234'],
      ['WD_bizLocation', 'urn:epc:id:sgln:0614141.07346.0'],
      ['MATCH_parentID', 'urn:m2m-trust:device:x'],
      ['MATCH_epcClass', 'urn:epc:class:lgtin:4012345.012345.998877'],
      ['GE_quantity', '1'],
      ['EQ_value_CEL', '20'],
      ['EXISTS_errorDeclaration', 'true'],
      ['EQ_errorReason', 'incorrect_data'],
      ['EQ_type', 'Temperature'],
      ['EQ_bizTransaction_po', 'urn:epc:id:gdti:0614141.00001.1618034'],
      ['EQ_INNER_example:part', 'x'],
      ['EXISTS_m2m:colour', ''],
    ])('accepts %s, a condition no audit event can satisfy, and selects nothing', async (name, value) => {
      expect(eventsOf(await query(`/epcis/events?${enc({ EQ_action: 'ADD', [name]: value })}`))).toEqual([]);
    });

    it('evaluates conditions on the fields the events carry exactly, however the extension field is spelt', async () => {
      const all = eventsOf(await query(`/epcis/events?${enc({})}`));
      const withReason = all.filter((e) => e['m2m:reason'] !== undefined);
      expect(withReason.length).toBeGreaterThan(0);
      expect(ids(eventsOf(await query(`/epcis/events?${enc({ 'EXISTS_m2m:reason': '' })}`)))).toEqual(ids(withReason));
      expect(ids(eventsOf(await query(`/epcis/events?${enc({ 'EXISTS_https://ns.m2m-trust.org/epcis/#reason': 'true' })}`)))).toEqual(ids(withReason));
      expect(ids(eventsOf(await query(`/epcis/events?${enc({ EXISTS_errorDeclaration: 'false' })}`)))).toEqual(ids(all));
      const one = all[3] as EpcisEvent;
      const bySource = eventsOf(await query(`/epcis/events?${enc({ 'EQ_m2m:sourceEventId': one['m2m:sourceEventId'] as string })}`));
      expect(ids(bySource)).toEqual([one.eventID]);
      const byReason = eventsOf(await query(`/epcis/events?${enc({ 'EXISTS_m2m:reason': '', orderBy: 'm2m:reason', orderDirection: 'ASC' })}`));
      expect(byReason.map((e) => e['m2m:reason'])).toEqual(withReason.map((e) => e['m2m:reason'] as string).sort());
    });

    it('takes the same parameters in a named query', async () => {
      const name = `standard-parameters-${Date.now()}`;
      expect((await api.post('/epcis/queries', { name, query: { 'EXISTS_m2m:reason': null, GE_quantity: 1, EXISTS_errorDeclaration: false } })).status).toBe(201);
      expect(eventsOf(await query(`/epcis/queries/${name}/events`))).toEqual([]);
      const other = `${name}-b`;
      expect((await api.post('/epcis/queries', { name: other, query: { 'EXISTS_m2m:reason': null, EXISTS_errorDeclaration: 0 } })).status).toBe(201);
      expect(eventsOf(await query(`/epcis/queries/${other}/events`)).every((e) => e['m2m:reason'] !== undefined)).toBe(true);
      expect(eventsOf(await query(`/epcis/queries/${other}/events`)).length).toBeGreaterThan(0);
    });

    it.each([
      ['EQ_colour=red', 'a parameter the standard does not define'],
      ['GE_quantity=many', 'a quantity that is not a number'],
      ['GE_errorDeclarationTime=yesterday', 'a malformed time on a field no event carries'],
      ['EQ_booleanValue=yes', 'a boolean that is neither true nor false'],
      ['EXISTS_m2m:reason=maybe', 'an EXISTS_ value other than true, false or none'],
    ])('refuses %s (%s) with the binding\'s QueryParameterException and our code', async (params) => {
      const answer = await api.get(`/epcis/events?${params}`);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException', code: 'QUERY_PARAMETER_INVALID', status: 400 });
    });
  });

  describe('refusals: 400 with the EPCIS exception type, never 500', () => {
    it.each([
      ['/epcis/events?orderBy=quantity', 'an orderBy this repository cannot order by'],
      ['/epcis/events?orderBy=eventTime&orderDirection=down', 'an orderDirection other than ASC or DESC'],
      ['/epcis/events?eventCountLimit=5', 'eventCountLimit without orderBy'],
      ['/epcis/events?orderBy=eventTime&eventCountLimit=0', 'a zero eventCountLimit'],
      ['/epcis/events?maxEventCount=-1', 'a negative maxEventCount'],
      ['/epcis/events?orderBy=eventTime&eventCountLimit=2&maxEventCount=2', 'eventCountLimit with maxEventCount'],
      ['/epcis/events?orderBy=eventTime&orderBy=recordTime', 'a repeated orderBy'],
      ['/epcis/events/x?perPage=1', 'a parameter on a single event'],
      ['/epcis/eventTypes?EQ_action=ADD', 'a filter on the event types'],
      ['/epcis/eventTypes?perPage=0', 'perPage of zero on the event types'],
      ['/epcis/eventTypes?nextPageToken=abc', 'a forged event-type page token'],
      ['/epcis/epcs/not%20a%20uri/events', 'an EPC that is not a URI'],
      ['/epcis/epcs/urn%3Am2m-trust%3Adevice%3Aa/events?MATCH_epc=urn:m2m-trust:device:b', 'MATCH_epc beside the path EPC'],
      ['/epcis/bizSteps/Not-A-Step/events', 'a bizStep that is neither a CBV term nor a URI'],
      ['/epcis/bizSteps/inspecting/events?EQ_bizStep=commissioning', 'EQ_bizStep beside the path bizStep'],
      ['/epcis/bizSteps/inspecting/events?EQ_colour=red', 'an unknown parameter on a resource'],
    ])('%s: %s', async (path) => {
      const answer = await api.get(path);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException', code: 'QUERY_PARAMETER_INVALID', status: 400 });
    });

    it.each(['/epcis/events/x', '/epcis/eventTypes', '/epcis/epcs/urn%3Ax/events', '/epcis/bizSteps/inspecting/events'])('%s requires the API key', async (path) => {
      const answer = await new Api(server.url, null).get(path);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED' });
    });
  });
});
