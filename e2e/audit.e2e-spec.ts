import { Api, authenticate, newDevice, register } from './support/client';
import { expectValidEpcis } from './support/epcis-schema';
import { type RunningServer, startServer } from './support/server';

interface EpcisEvent {
  type: string;
  eventID: string;
  eventTime: string;
  recordTime: string;
  eventTimeZoneOffset: string;
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

describe('audit log (EPCIS 2.0)', () => {
  let server: RunningServer;
  let api: Api;
  const device = newDevice('audited');
  const epc = `urn:m2m-trust:device:${device.deviceId}`;

  const eventsOf = async (query: string) => {
    const answer = await api.get<QueryDocument>(`/epcis/events?${query}`);
    expect(answer.status).toBe(200);
    expectValidEpcis(answer.body);
    return answer;
  };

  beforeAll(async () => {
    server = await startServer();
    api = new Api(server.url, server.adminKey);
    expect((await register(api, device)).status).toBe(201);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    const c = await api.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId });
    await api.post('/v1/challenges/verify', { challengeId: c.body.id, signature: newDevice().signHex(c.body.nonce) });
    await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: 'decommissioned' });
    await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: 'again' });
  });
  afterAll(() => server.stop());

  it("records the device's whole life as valid EPCIS ObjectEvents with the CBV mapping", async () => {
    const answer = await eventsOf(`MATCH_epc=${encodeURIComponent(epc)}`);
    expect(answer.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(answer.headers.get('gs1-epcis-version')).toBeTruthy();
    expect(answer.headers.get('gs1-cbv-version')).toBeTruthy();
    const events = answer.body.epcisBody.queryResults.resultsBody.eventList;
    expect(events.map((e) => [e.action, e.bizStep, e.disposition])).toEqual([
      ['ADD', 'commissioning', 'active'],
      ['OBSERVE', 'inspecting', 'conformant'],
      ['OBSERVE', 'inspecting', 'non_conformant'],
      ['DELETE', 'decommissioning', 'inactive'],
    ]);
    for (const event of events) {
      expect(event.type).toBe('ObjectEvent');
      expect(event.epcList).toEqual([epc]);
      expect(event.eventID).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
      expect(event.eventTimeZoneOffset).toBe('+00:00');
      expect(Date.parse(event.eventTime)).not.toBeNaN();
      expect(Date.parse(event.recordTime)).not.toBeNaN();
      expect(event['m2m:requestId']).toEqual(expect.any(String));
    }
    const [registered, success, failure, revoked] = events;
    expect(registered!['m2m:keyThumbprint']).toEqual(expect.any(String));
    expect(registered!['m2m:actor']).toBe('api-key:admin');
    expect(success!['m2m:challengeId']).toEqual(expect.any(String));
    expect(success!['m2m:actor']).toBe(`device:${device.deviceId}`);
    expect(failure!['m2m:reason']).toBe('SIGNATURE_INVALID');
    expect(revoked!['m2m:reason']).toBe('decommissioned');
  });

  it('filters by EQ_action, EQ_bizStep, EQ_disposition and the m2m:reason extension', async () => {
    const match = `MATCH_epc=${encodeURIComponent(epc)}`;
    const list = async (q: string) => (await eventsOf(`${match}&${q}`)).body.epcisBody.queryResults.resultsBody.eventList;
    expect((await list('EQ_action=DELETE')).map((e) => e.bizStep)).toEqual(['decommissioning']);
    expect((await list('EQ_action=ADD|DELETE')).map((e) => e.action)).toEqual(['ADD', 'DELETE']);
    expect(await list('EQ_bizStep=inspecting')).toHaveLength(2);
    expect(await list(`EQ_bizStep=${encodeURIComponent('https://ref.gs1.org/cbv/BizStep-inspecting')}`)).toHaveLength(2);
    expect((await list('EQ_disposition=non_conformant')).map((e) => e['m2m:reason'])).toEqual(['SIGNATURE_INVALID']);
    expect((await list('EQ_m2m:reason=SIGNATURE_INVALID')).map((e) => e.disposition)).toEqual(['non_conformant']);
    expect(await list('eventType=ObjectEvent')).toHaveLength(4);
    expect(await list('eventType=AggregationEvent')).toHaveLength(0);
  });

  it('filters by event time, and finds one event by its eventID', async () => {
    const all = (await eventsOf(`MATCH_epc=${encodeURIComponent(epc)}`)).body.epcisBody.queryResults.resultsBody.eventList;
    const second = all[1]!;
    const from = (await eventsOf(`MATCH_epc=${encodeURIComponent(epc)}&GE_eventTime=${encodeURIComponent(second.eventTime)}`)).body;
    expect(from.epcisBody.queryResults.resultsBody.eventList.every((e) => e.eventTime >= second.eventTime)).toBe(true);
    const before = (await eventsOf(`MATCH_epc=${encodeURIComponent(epc)}&LT_eventTime=${encodeURIComponent(second.eventTime)}`)).body;
    expect(before.epcisBody.queryResults.resultsBody.eventList.every((e) => e.eventTime < second.eventTime)).toBe(true);
    const one = (await eventsOf(`EQ_eventID=${encodeURIComponent(second.eventID)}`)).body.epcisBody.queryResults.resultsBody.eventList;
    expect(one).toEqual([second]);
  });

  it('pages with perPage and a Link to the next page, and the pages add up to the whole', async () => {
    const whole = (await eventsOf('perPage=1000')).body.epcisBody.queryResults.resultsBody.eventList;
    const collected: EpcisEvent[] = [];
    let next: string | null = '/epcis/events?perPage=2';
    let pages = 0;
    while (next) {
      const answer: { status: number; headers: Headers; body: QueryDocument } = await api.get<QueryDocument>(next);
      expect(answer.status).toBe(200);
      expectValidEpcis(answer.body);
      const events = answer.body.epcisBody.queryResults.resultsBody.eventList;
      expect(events.length).toBeLessThanOrEqual(2);
      collected.push(...events);
      const link: string | null = answer.headers.get('link');
      next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(collected.map((e) => e.eventID)).toEqual(whole.map((e) => e.eventID));
  });

  it('keeps paging correct while new events arrive', async () => {
    const first = await api.get<QueryDocument>('/epcis/events?perPage=1');
    const link = /^<([^>]+)>/.exec(first.headers.get('link')!)![1]!;
    const late = newDevice('late');
    await register(api, late);
    const rest: EpcisEvent[] = [];
    let next: string | null = link;
    while (next) {
      const answer: { headers: Headers; body: QueryDocument } = await api.get<QueryDocument>(next);
      rest.push(...answer.body.epcisBody.queryResults.resultsBody.eventList);
      const l = answer.headers.get('link');
      next = l ? /^<([^>]+)>/.exec(l)![1]! : null;
    }
    const ids = [first.body.epcisBody.queryResults.resultsBody.eventList[0]!.eventID, ...rest.map((e) => e.eventID)];
    expect(new Set(ids).size).toBe(ids.length);
    expect(rest.some((e) => e.epcList[0] === `urn:m2m-trust:device:${late.deviceId}`)).toBe(true);
  });

  it('records nothing for the second, idempotent revocation', async () => {
    const deletes = (await eventsOf(`MATCH_epc=${encodeURIComponent(epc)}&EQ_action=DELETE`)).body;
    expect(deletes.epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
  });

  it.each([
    ['an unknown parameter', 'EQ_colour=red'],
    ['an unknown action', 'EQ_action=DESTROY'],
    ['an unknown event type', 'eventType=Event'],
    ['a time without a zone', 'GE_eventTime=2026-01-01T00:00:00'],
    ['perPage of zero', 'perPage=0'],
    ['a forged page token', 'nextPageToken=abc'],
    ['a repeated parameter', 'EQ_action=ADD&EQ_action=DELETE'],
  ])('answers 400 QueryParameterException for %s', async (_, query) => {
    const answer = await api.get(`/epcis/events?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ type: 'epcisException:QueryParameterException', code: 'QUERY_PARAMETER_INVALID' });
  });

  it('refuses a page token used with other filters', async () => {
    const first = await api.get('/epcis/events?perPage=1');
    const token = new URLSearchParams(/\?([^>]+)>/.exec(first.headers.get('link')!)![1]!).get('nextPageToken')!;
    const answer = await api.get(`/epcis/events?perPage=1&EQ_action=ADD&nextPageToken=${token}`);
    expect(answer.status).toBe(400);
  });

  it('requires the API key', async () => {
    expect((await new Api(server.url, null).get('/epcis/events')).status).toBe(401);
  });
});
