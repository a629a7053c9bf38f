import { eventually } from '@m2m-trust/shared-domain/testing';

import { Api, authenticate, newDevice, register } from './support/client';
import { newDataDir, startServer } from './support/server';

interface QueryDocument {
  epcisBody: { queryResults: { resultsBody: { eventList: { eventID: string; epcList: string[]; action: string }[] } } };
}

async function allEvents(api: Api): Promise<{ eventID: string; epcList: string[]; action: string }[]> {
  const answer = await api.get<QueryDocument>('/epcis/events?perPage=1000');
  return answer.body.epcisBody.queryResults.resultsBody.eventList;
}

describe('persistence', () => {
  it('keeps every device, status and audit event across a restart on the same data directory', async () => {
    const dataDir = newDataDir();
    const adminKey = 'restart-test-admin-key-0123456789';
    const first = await startServer({ dataDir, adminKey });
    let api = new Api(first.url, adminKey);
    const kept = newDevice('kept');
    const gone = newDevice('gone');
    await register(api, kept);
    await register(api, gone);
    expect((await authenticate(api, kept)).body).toMatchObject({ verified: true });
    await api.post(`/v1/devices/${gone.deviceId}/revoke`, { reason: 'retired' });
    const devicesBefore = (await api.get('/v1/devices')).body;
    const eventsBefore = await allEvents(api);
    expect(eventsBefore).toHaveLength(4);
    // Graceful: Nest closes the server and the database, then ends by the signal it was sent.
    expect(await first.stop()).toBe('SIGTERM');

    const second = await startServer({ dataDir, adminKey });
    api = new Api(second.url, adminKey);
    expect((await api.get('/v1/devices')).body).toEqual(devicesBefore);
    expect(await allEvents(api)).toEqual(eventsBefore);
    expect((await authenticate(api, kept)).body).toMatchObject({ verified: true });
    // Still revoked: its key is told so (its challenge is a decoy, as for any revoked device).
    expect((await authenticate(api, gone)).body).toEqual({ verified: false, reason: 'DEVICE_REVOKED' });
    await second.stop();
  });

  it('after kill -9 under load, every answered write has its audit event and every audit event its write', async () => {
    const dataDir = newDataDir();
    const adminKey = 'crash-test-admin-key-0123456789';
    const server = await startServer({ dataDir, adminKey });
    const api = new Api(server.url, adminKey);
    const answered: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const device = newDevice('crash');
        try {
          const answer = await register(api, device);
          if (answer.status === 201) answered.push(device.deviceId);
        } catch {
          return; // the server died mid-request: that write may or may not have happened
        }
      }
    });
    // Killed under load: once the writers have had answers, whatever that takes on this machine.
    await eventually('more than 10 answered writes', () => answered.length > 10);
    await server.stop('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(answered.length).toBeGreaterThan(10);

    const again = await startServer({ dataDir, adminKey });
    const api2 = new Api(again.url, adminKey);
    const devices = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { deviceId: string }[]; nextCursor: string | null } } = await api2.get(
        `/v1/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      page.body.items.forEach((d) => devices.add(d.deviceId));
      cursor = page.body.nextCursor;
    } while (cursor);
    const audited = new Set<string>();
    let next: string | null = '/epcis/events?perPage=1000&EQ_action=ADD';
    while (next) {
      const answer: { headers: Headers; body: QueryDocument } = await api2.get<QueryDocument>(next);
      answer.body.epcisBody.queryResults.resultsBody.eventList.forEach((e) => audited.add(e.epcList[0]!.replace('urn:m2m-trust:device:', '')));
      const link = answer.headers.get('link');
      next = link ? /^<([^>]+)>/.exec(link)![1]! : null;
    }
    for (const id of answered) expect(devices.has(id)).toBe(true);
    expect([...audited].sort()).toEqual([...devices].sort());
    await again.stop();
  });
});
