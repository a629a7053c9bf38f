import { eventually } from '@m2m-trust/shared-domain/testing';

import { Api, authenticate, newDevice, register } from '../support/client';
import { expectBindingProblem, expectBindingSchema, expectValidQueryDocument, expectValidQueryXml } from '../support/epcis-binding';
import { type Cluster, startCluster } from './support/cluster';

/**
 * The EPCIS REST binding through the distributed gateway: /epcis/* is the
 * audit service's HTTP API behind it (PostgreSQL), so the resources, OPTIONS,
 * GS1 headers and negotiation must come through the pass-through unchanged.
 */
describe('distributed mode: the EPCIS REST binding through the gateway', () => {
  let cluster: Cluster;
  let api: Api;
  const device = newDevice('binding-dist');
  const epc = `urn:m2m-trust:device:${device.deviceId}`;

  beforeAll(async () => {
    cluster = await startCluster({ name: 'binding' });
    api = new Api(cluster.gateways[0]!.url, cluster.adminKey);
    expect((await register(api, device)).status).toBe(201);
    expect((await authenticate(api, device)).body).toMatchObject({ verified: true });
    // The audit service records what Kafka brings it: wait until both events are in.
    await eventually('both events in the audit log', async () => {
      const body = (await api.get(`/epcis/epcs/${encodeURIComponent(epc)}/events`)).body as { epcisBody?: { queryResults: { resultsBody: { eventList: unknown[] } } } };
      return body.epcisBody?.queryResults.resultsBody.eventList.length === 2;
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists the values the PostgreSQL log holds as the binding says, and an item no event has is 404', async () => {
    const epcs = await api.get('/epcis/epcs');
    expect(epcs.body['member']).toEqual([epc]);
    expectBindingSchema('/epcs', 'get', 200, 'application/json', epcs.body);
    const bizSteps = await api.get('/epcis/bizSteps?perPage=1');
    expect(bizSteps.body['member']).toEqual(['commissioning']);
    expect(bizSteps.headers.get('link')).toMatch(/^<\/epcis\/bizSteps\?perPage=1&nextPageToken=[^>]+>; rel="next"$/);
    expectBindingSchema('/bizSteps', 'get', 200, 'application/json', bizSteps.body);
    expect((await api.get(`/epcis/epcs/${encodeURIComponent(epc)}`)).body).toMatchObject({ member: ['events'] });
    const missing = await api.get('/epcis/dispositions/recalled');
    expect(missing.status).toBe(404);
    expectBindingProblem('/dispositions/{disposition}', 'get', 404, missing.body, `${cluster.gateways[0]!.url}/epcis/dispositions/recalled`);
  });

  it('negotiates JSON-LD and XML on /eventTypes/ObjectEvent/events, and 406 for anything else', async () => {
    const ld = await api.get('/epcis/eventTypes/ObjectEvent/events');
    expect(ld.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expectValidQueryDocument(ld.body);
    const xml = await api.get<string>('/epcis/eventTypes/ObjectEvent/events', { accept: 'application/xml' });
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    await expectValidQueryXml(xml.body);
    expect(xml.body.match(/<ObjectEvent>/g)).toHaveLength(2);
    expect((await api.get('/epcis/eventTypes/ObjectEvent/events', { accept: 'text/csv' })).status).toBe(406);
  });

  it('answers OPTIONS with Allow and the GS1 headers, and capture with 501, GS1 headers on every answer', async () => {
    const anonymous = new Api(cluster.gateways[0]!.url, null);
    const options = await anonymous.call('OPTIONS', '/epcis/epcs');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('OPTIONS, GET, HEAD');
    expect((await anonymous.call('OPTIONS', '/epcis/capture')).headers.get('allow')).toBe('OPTIONS');
    const capture = await api.post('/epcis/capture', { type: 'EPCISDocument' });
    expect(capture.status).toBe(501);
    expect(capture.body).toMatchObject({ type: 'epcisException:ImplementationException' });
    for (const answer of [options, capture, await anonymous.get('/epcis/events')]) {
      expect(answer.headers.get('gs1-epcis-version')).toBe('2.0.0');
      expect(answer.headers.get('gs1-cbv-version')).toBe('2.0.0');
      expect(answer.headers.get('gs1-extensions')).toBe('m2m=https://ns.m2m-trust.org/epcis/');
    }
  });
});
