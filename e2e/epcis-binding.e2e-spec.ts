import { type Answer, Api, authenticate, newDevice, register } from './support/client';
import {
  bindingHeaders,
  bindingOperations,
  documentedStatuses,
  expectBindingProblem,
  expectBindingSchema,
  expectValidQueryDocument,
  expectValidQueryXml,
} from './support/epcis-binding';
import { type RunningServer, startServer } from './support/server';

interface QueryDocument {
  epcisBody: { queryResults: { queryName: string; resultsBody: { eventList: { eventID: string; epcList: string[] }[] } } };
}
const eventsOf = (body: unknown): { eventID: string; epcList: string[] }[] => (body as QueryDocument).epcisBody.queryResults.resultsBody.eventList;
const nextOf = (answer: Answer<unknown>): string | null => {
  const link = answer.headers.get('link');
  return link ? ((/^<([^>]+)>; rel="next"$/.exec(link) as RegExpExecArray)[1] as string) : null;
};
const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { m2m: 'https://ns.m2m-trust.org/epcis/' }];
const LOCATION = 'urn:epc:id:sgln:0012345.11111.0';
const GS1_SENT = ['GS1-EPCIS-Version', 'GS1-EPCIS-Min', 'GS1-EPCIS-Max', 'GS1-CBV-Version', 'GS1-CBV-Min', 'GS1-CBV-Max', 'GS1-EPC-Format', 'GS1-CBV-XML-Format', 'GS1-Extensions'];

describe("EPCIS 2.0 REST binding: every resource of GS1's openapi.yaml, OPTIONS, GS1 headers, content negotiation, capture", () => {
  let server: RunningServer;
  let api: Api;
  const devices = [newDevice('binding-a'), newDevice('binding-b')];
  const epcs = devices.map((d) => `urn:m2m-trust:device:${d.deviceId}`);
  let eventId: string;
  let pageToken: string;
  let subscriptionId: string;

  /** A binding path with its parameters set to values this log holds (bizLocation and readPoint: none can be held). */
  const concrete = (path: string): string =>
    `/epcis${path}`
      .replace('{eventID}', encodeURIComponent(eventId))
      .replace('{eventType}', 'ObjectEvent')
      .replace('{epc}', encodeURIComponent(epcs[0] as string))
      .replace('{bizStep}', 'inspecting')
      .replace('{disposition}', 'conformant')
      .replace('{bizLocation}', encodeURIComponent(LOCATION))
      .replace('{readPoint}', encodeURIComponent(LOCATION))
      .replace('{queryName}', 'binding-q')
      .replace('{captureID}', 'job-1')
      .replace('{token}', pageToken)
      .replace('{subscriptionID}', subscriptionId)
      .replace(/\/$/, '');

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
    for (const device of devices) expect((await register(api, device)).status).toBe(201);
    for (const device of devices) expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    expect((await api.post(`/v1/devices/${(devices[1] as { deviceId: string }).deviceId}/revoke`, { reason: 'retired' })).status).toBe(200);
    expect((await api.post('/epcis/queries', { name: 'binding-q', query: { EQ_bizStep: ['inspecting'] } })).status).toBe(201);
    // A webhook to the discard port: its deliveries fail and are retried in the background; only the resource is walked here.
    const subscribed = await api.post('/epcis/queries/binding-q/subscriptions', { dest: 'http://127.0.0.1:9/', stream: true });
    expect(subscribed.status).toBe(201);
    subscriptionId = subscribed.body['subscriptionID'] as string;
    const first = await api.get('/epcis/events?perPage=1');
    eventId = (eventsOf(first.body)[0] as { eventID: string }).eventID;
    pageToken = new URLSearchParams((nextOf(first) as string).split('?')[1]).get('nextPageToken') as string;
  });
  afterAll(() => server.stop());

  describe('the resources', () => {
    it('answers every GET the binding defines with a status it documents, and 404 only for an item no event has', async () => {
      const operations = bindingOperations().filter(([, method]) => method === 'get');
      expect(operations.length).toBeGreaterThanOrEqual(25);
      for (const [path] of operations) {
        const answer = await api.get(concrete(path));
        const item = /^\/(bizLocations|readPoints)\/\{[a-zA-Z]+\}$/.test(path);
        const capture = path.startsWith('/capture');
        const expected = item ? 404 : capture ? 501 : 200;
        expect([path, answer.status]).toEqual([path, expected]);
        // The binding documents no status for capture's GETs answered by a repository without capture: 501 is its ImplementationException.
        if (!capture) expect([path, documentedStatuses(path, 'get')]).toEqual([path, expect.arrayContaining([expected])]);
      }
    });

    it("answers the binding's schemas: the top-level resources (capture left out), collections and items", async () => {
      const root = await api.get('/epcis');
      expect(root.body).toEqual({
        '@context': CONTEXT,
        type: 'Collection',
        member: ['events', 'eventTypes', 'epcs', 'bizSteps', 'bizLocations', 'readPoints', 'dispositions', 'queries'],
      });
      // TopLevelResourceCollection asks for all nine with minItems; capture is not offered here, so it is not listed.
      expectBindingSchema('/', 'get', 200, 'application/json', { ...root.body, member: [...(root.body['member'] as string[]), 'capture'] });
      for (const path of ['/eventTypes', '/epcs', '/bizSteps', '/dispositions', '/bizLocations', '/readPoints', '/eventTypes/{eventType}', '/epcs/{epc}', '/bizSteps/{bizStep}', '/dispositions/{disposition}']) {
        const answer = await api.get(concrete(path));
        expect([path, answer.status]).toEqual([path, 200]);
        expectBindingSchema(path, 'get', 200, 'application/json', answer.body);
      }
      expectBindingSchema('/queries', 'get', 200, 'application/json', (await api.get('/epcis/queries')).body);
    });

    it('lists the distinct values the log holds, in byte order, paged through the Link header', async () => {
      const member = async (path: string): Promise<unknown> => (await api.get(path)).body['member'];
      expect(await member('/epcis/eventTypes')).toEqual(['ObjectEvent']);
      expect(await member('/epcis/epcs')).toEqual([...epcs].sort());
      expect(await member('/epcis/bizSteps')).toEqual(['commissioning', 'decommissioning', 'inspecting']);
      expect(await member('/epcis/dispositions')).toEqual(['active', 'conformant', 'inactive']);
      expect(await member('/epcis/bizLocations')).toEqual([]);
      expect(await member('/epcis/readPoints')).toEqual([]);
      const paged: string[] = [];
      let next: string | null = '/epcis/bizSteps?perPage=2';
      while (next) {
        const answer: Answer = await api.get(next);
        paged.push(...(answer.body['member'] as string[]));
        next = nextOf(answer);
      }
      expect(paged).toEqual(['commissioning', 'decommissioning', 'inspecting']);
    });

    it('answers an item with its sub-resources, and 404 NoSuchNameException for one no event has', async () => {
      for (const path of [
        `/epcis/epcs/${encodeURIComponent(epcs[1] as string)}`,
        `/epcis/bizSteps/${encodeURIComponent('https://ref.gs1.org/cbv/BizStep-decommissioning')}`,
        '/epcis/dispositions/inactive',
        '/epcis/eventTypes/ObjectEvent',
      ]) {
        expect((await api.get(path)).body).toEqual({ '@context': CONTEXT, type: 'Collection', member: ['events'] });
      }
      for (const [template, path] of [
        ['/epcs/{epc}', `/epcis/epcs/${encodeURIComponent('urn:m2m-trust:device:nobody')}`],
        ['/bizSteps/{bizStep}', '/epcis/bizSteps/shipping'],
        ['/dispositions/{disposition}', '/epcis/dispositions/recalled'],
        ['/eventTypes/{eventType}', '/epcis/eventTypes/AggregationEvent'],
        ['/bizLocations/{bizLocation}', `/epcis/bizLocations/${encodeURIComponent(LOCATION)}`],
        ['/readPoints/{readPoint}', `/epcis/readPoints/${encodeURIComponent(LOCATION)}`],
      ] as const) {
        const answer = await api.get(path);
        expect([path, answer.status]).toEqual([path, 404]);
        expectBindingProblem(template, 'get', 404, answer.body, `${server.url}${path}`);
      }
    });

    it('answers /{resource}/{value}/events as /events with the filter the path names', async () => {
      const same = async (resource: string, query: string): Promise<void> => {
        const viaQuery = eventsOf((await api.get(`/epcis/events?${query}&perPage=1000`)).body).map((e) => e.eventID);
        const viaResource = eventsOf((await api.get(`${resource}?perPage=1000`)).body).map((e) => e.eventID);
        expect(viaQuery.length).toBeGreaterThan(0);
        expect(viaResource).toEqual(viaQuery);
      };
      await same('/epcis/eventTypes/ObjectEvent/events', 'eventType=ObjectEvent');
      await same('/epcis/dispositions/conformant/events', 'EQ_disposition=conformant');
      await same(`/epcis/dispositions/${encodeURIComponent('https://ref.gs1.org/cbv/Disp-inactive')}/events`, 'EQ_disposition=inactive');
      expect(eventsOf((await api.get(`/epcis/bizLocations/${encodeURIComponent(LOCATION)}/events`)).body)).toEqual([]);
      expect((await api.get(`/epcis/readPoints/${encodeURIComponent(LOCATION)}/events?EQ_colour=red`)).status).toBe(400);
      expect((await api.get('/epcis/dispositions/conformant/events?EQ_disposition=active')).status).toBe(400);
    });
  });

  describe('content negotiation', () => {
    const eventDocuments = [
      '/events',
      '/events/{eventID}',
      '/eventTypes/{eventType}/events',
      '/epcs/{epc}/events',
      '/bizSteps/{bizStep}/events',
      '/dispositions/{disposition}/events',
      '/bizLocations/{bizLocation}/events',
      '/readPoints/{readPoint}/events',
      '/queries/{queryName}/events',
    ];

    it.each(eventDocuments)('%s: JSON-LD and JSON valid against GS1 JSON Schema, XML valid against GS1 query XSD, the same events in each', async (path) => {
      const ld = await api.get(concrete(path), { accept: 'application/ld+json' });
      expect(ld.headers.get('content-type')).toMatch(/^application\/ld\+json/);
      expectValidQueryDocument(ld.body);
      expectBindingSchema(path, 'get', 200, 'application/json', ld.body);
      const json = await api.get(concrete(path), { accept: 'application/json' });
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(eventsOf(json.body)).toEqual(eventsOf(ld.body));
      const xml = await api.get<string>(concrete(path), { accept: 'application/xml' });
      expect(xml.status).toBe(200);
      expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
      await expectValidQueryXml(xml.body);
      const ids = [...xml.body.matchAll(/<eventID>([^<]+)<\/eventID>/g)].map((m) => m[1]);
      expect(ids).toEqual(eventsOf(ld.body).map((e) => e.eventID));
    });

    it.each(eventDocuments)('%s: 406 NotAcceptableException for a media type it cannot give, never another format', async (path) => {
      const answer = await api.get(concrete(path), { accept: 'text/csv, text/html;q=0.5' });
      expect(answer.status).toBe(406);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expectBindingProblem(path, 'get', 406, answer.body, `${server.url}${concrete(path)}`);
    });

    it('weighs the Accept header by quality and specificity', async () => {
      expect((await api.get('/epcis/events', { accept: 'application/xml;q=0.5, application/json' })).headers.get('content-type')).toMatch(/^application\/json/);
      expect((await api.get('/epcis/events', { accept: 'application/*;q=0.2, application/xml' })).headers.get('content-type')).toMatch(/^application\/xml/);
      expect((await api.get('/epcis/events', { accept: '*/*' })).headers.get('content-type')).toMatch(/^application\/ld\+json/);
      expect((await api.get('/epcis/events', { accept: 'application/ld+json;q=0, application/json;q=0, application/xml;q=0' })).status).toBe(406);
    });

    it('answers collections in JSON-LD or JSON; XML, which the binding defines no form of for them, is 406', async () => {
      for (const path of ['/epcis', '/epcis/epcs', '/epcis/eventTypes/ObjectEvent', '/epcis/queries', '/epcis/queries/binding-q']) {
        expect([path, (await api.get(path, { accept: 'application/json' })).headers.get('content-type')]).toEqual([path, expect.stringMatching(/^application\/json/)]);
        expect([path, (await api.get(path, { accept: 'application/xml' })).status]).toEqual([path, 406]);
      }
    });
  });

  describe('OPTIONS and the GS1 headers', () => {
    it('answers OPTIONS on every path of the binding: 204, Allow, and the GS1 headers the binding lists for it', async () => {
      const paths = bindingOperations()
        .filter(([, method]) => method === 'options')
        .map(([path]) => path);
      expect(paths.length).toBeGreaterThanOrEqual(25);
      for (const path of paths) {
        const answer = await new Api(server.url, null).call('OPTIONS', concrete(path));
        expect([path, answer.status]).toEqual([path, 204]);
        const allow = answer.headers.get('allow') as string;
        expect([path, allow]).toEqual([path, expect.stringMatching(/^OPTIONS/)]);
        const listed = bindingHeaders(path, 'options', 204).filter((name) => GS1_SENT.includes(name));
        // The binding's discovery responses list from 4 GS1 headers (a subscription: EPCIS versions, extensions) to 9.
        expect([path, listed]).toEqual([path, expect.arrayContaining(['GS1-EPCIS-Version', 'GS1-Extensions'])]);
        expect(listed.length).toBeGreaterThanOrEqual(4);
        for (const name of listed) expect([path, name, answer.headers.get(name)]).toEqual([path, name, expect.any(String)]);
      }
      const allow = async (path: string): Promise<string | null> => (await new Api(server.url, null).call('OPTIONS', path)).headers.get('allow');
      expect(await allow('/epcis/events')).toBe('OPTIONS, GET, HEAD');
      expect(await allow('/epcis/queries')).toBe('OPTIONS, GET, HEAD, POST');
      expect(await allow('/epcis/queries/binding-q')).toBe('OPTIONS, GET, HEAD, DELETE');
      expect(await allow('/epcis/capture')).toBe('OPTIONS');
      expect(await allow('/epcis/nextPageToken/abc')).toBe('OPTIONS');
    });

    it('puts the GS1 headers on every /epcis answer, errors included, with values of the binding header schemas', async () => {
      const answers = [
        await api.get('/epcis/events'),
        await new Api(server.url, null).get('/epcis/events'),
        await api.get('/epcis/events?EQ_colour=red'),
        await api.get('/epcis/epcs/urn%3Ax%3Anobody'),
        await api.get('/epcis/events', { accept: 'image/png' }),
        await api.get('/epcis/no-such-resource'),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 401, 400, 404, 406, 404]);
      for (const answer of answers) {
        for (const name of ['GS1-EPCIS-Version', 'GS1-EPCIS-Min', 'GS1-EPCIS-Max', 'GS1-CBV-Version', 'GS1-CBV-Min', 'GS1-CBV-Max']) {
          expect(answer.headers.get(name)).toMatch(/^\d+(\.\d+)*$/);
        }
        expect(answer.headers.get('GS1-EPCIS-Version')).toBe('2.0.0');
        expect(answer.headers.get('GS1-EPC-Format')).toBe('Never_Translates');
        expect(answer.headers.get('GS1-CBV-XML-Format')).toBe('Always_Web_URI');
        expect(answer.headers.get('GS1-Extensions')).toBe('m2m=https://ns.m2m-trust.org/epcis/');
      }
    });

    it("refuses with 406 a client whose GS1 version bounds exclude what is served, and serves one whose bounds include it", async () => {
      const bounds: Record<string, string>[] = [{ 'GS1-EPCIS-Min': '2.1' }, { 'GS1-EPCIS-Max': '1.2.0' }, { 'GS1-CBV-Min': '3' }, { 'GS1-CBV-Max': '1.2' }];
      for (const headers of bounds) {
        const answer = await api.get('/epcis/events', headers);
        expect([headers, answer.status]).toEqual([headers, 406]);
        expect(answer.body).toMatchObject({ type: 'epcisException:NotAcceptableException' });
      }
      expect((await api.get('/epcis/events', { 'GS1-EPCIS-Min': '1.2', 'GS1-EPCIS-Max': '2.0', 'GS1-CBV-Max': '2.0.0' })).status).toBe(200);
    });
  });

  describe('capture is not offered', () => {
    it.each([
      ['POST', '/capture'],
      ['GET', '/capture'],
      ['GET', '/capture/{captureID}'],
      ['POST', '/events'],
    ])('%s %s answers 501 ImplementationException saying why, and records nothing', async (method, path) => {
      const before = eventsOf((await api.get('/epcis/events?perPage=1000')).body).length;
      const answer = await api.call(method, concrete(path), method === 'POST' ? { type: 'EPCISDocument' } : undefined);
      expect(answer.status).toBe(501);
      expect(answer.body).toMatchObject({ type: 'epcisException:ImplementationException', code: 'NOT_IMPLEMENTED', detail: expect.stringContaining('Capture is not offered') });
      expectBindingProblem('/nextPageToken/{token}', 'delete', 501, answer.body, `${server.url}${concrete(path)}`);
      expect(eventsOf((await api.get('/epcis/events?perPage=1000')).body)).toHaveLength(before);
    });

    it('answers DELETE /nextPageToken/{token} with 501 (a token holds nothing to release), and the token still pages', async () => {
      const answer = await api.call('DELETE', concrete('/nextPageToken/{token}'));
      expect(answer.status).toBe(501);
      expect(documentedStatuses('/nextPageToken/{token}', 'delete')).toContain(501);
      expect((await api.get(`/epcis/events?perPage=1&nextPageToken=${pageToken}`)).status).toBe(200);
    });
  });
});
