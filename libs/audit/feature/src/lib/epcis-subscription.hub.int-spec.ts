import { AuditChain1763700000400, AuditLog1763700000300, AuditQueryIndexes1763700000510, AuditTree1763700000900, NamedQueries1763700000520, SqliteAuditLogProjection, SqliteAuditLogReader } from '@m2m-trust/audit-data-access/sqlite';
import { type EpcisObjectEvent, parseEventCriteria } from '@m2m-trust/audit-domain';
import { InProcessEventBus } from '@m2m-trust/shared-data-access';
import { openSqliteDatabase, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';
import { ErrorCode } from '@m2m-trust/shared-domain';
import type { NewEvent } from '@m2m-trust/shared-events';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassThrough } from 'node:stream';

import { DEFAULT_SUBSCRIPTION_OPTIONS, EpcisSubscriptionHub, type EpcisSubscriptionOptions } from './epcis-subscription.hub';

interface Frame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/** Reads a text/event-stream as it arrives, frame by frame. */
class SseReader {
  private text = '';
  readonly frames: Frame[] = [];
  ended = false;

  /** `slowly`: pause a moment after each chunk, as a client on a slow link would, so the hub waits for drain. */
  constructor(stream: PassThrough, slowly = false) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (slowly) {
        stream.pause();
        setImmediate(() => stream.resume());
      }
      this.text += chunk;
      let cut: number;
      while ((cut = this.text.indexOf('\n\n')) >= 0) {
        const block = this.text.slice(0, cut);
        this.text = this.text.slice(cut + 2);
        const frame: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame['comment'] = line.slice(1).trim();
          else {
            const colon = line.indexOf(':');
            frame[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
        }
        this.frames.push(frame);
      }
    });
    stream.on('end', () => (this.ended = true));
  }

  /** Event messages so far (cheap: for polling). */
  get count(): number {
    return this.frames.filter((f) => f.data !== undefined && f.event === undefined).length;
  }

  get events(): EpcisObjectEvent[] {
    return this.frames
      .filter((f) => f.data !== undefined && f.event === undefined)
      .map((f) => (JSON.parse(f.data as string) as { epcisBody: { queryResults: { resultsBody: { eventList: EpcisObjectEvent[] } } } }).epcisBody.queryResults.resultsBody.eventList[0] as EpcisObjectEvent);
  }

  /** Generous: the deadline only names what never came (a slow, busy machine still gets there). */
  async until(done: () => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames so far: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

let n = 0;
const registered = (deviceId: string): NewEvent => ({
  type: 'DeviceRegistered',
  data: { deviceId, publicKey: 'ab'.repeat(32), keyThumbprint: `t-${deviceId}`, label: deviceId, metadata: {}, registeredAt: new Date().toISOString() },
  metadata: { requestId: `req-${++n}`, actor: 'api-key:admin' },
});
const revoked = (deviceId: string): NewEvent => ({
  type: 'DeviceRevoked',
  data: { deviceId, reason: 'test', revokedAt: new Date().toISOString() },
  metadata: { requestId: `req-${++n}`, actor: 'api-key:admin' },
});

describe('EpcisSubscriptionHub (real SQLite, real event store and bus)', () => {
  let database: SqliteDatabase;
  let store: SqliteEventStore;
  let reader: SqliteAuditLogReader;
  let bus: InProcessEventBus;
  const hubs: EpcisSubscriptionHub[] = [];

  const hubWith = (options: Partial<EpcisSubscriptionOptions> = {}): EpcisSubscriptionHub => {
    const hub = new EpcisSubscriptionHub(bus, reader, { ...DEFAULT_SUBSCRIPTION_OPTIONS, ...options });
    hub.onModuleInit();
    hubs.push(hub);
    return hub;
  };
  const register = (deviceId: string) => store.appendToStream(`device-${deviceId}`, 0, [registered(deviceId)]);

  beforeAll(async () => {
    database = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-audit-hub-')), [
      AuditLog1763700000300,
      AuditChain1763700000400,
      AuditTree1763700000900,
      AuditQueryIndexes1763700000510,
      NamedQueries1763700000520,
    ]);
    bus = new InProcessEventBus((error) => {
      throw error;
    });
    store = new SqliteEventStore(database.db, [new SqliteAuditLogProjection(database.db)], { now: () => new Date() }, bus);
    reader = new SqliteAuditLogReader(database.db);
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.beforeApplicationShutdown()));
  });
  afterAll(() => database.close());

  it('pushes each new matching event, equal to the stored record, and nothing else', async () => {
    const hub = hubWith();
    const sse = new SseReader(hub.open('adds', parseEventCriteria({ EQ_action: 'ADD' }), null).stream);
    await register('live-1');
    await store.appendToStream('device-live-1', 1, [revoked('live-1')]);
    await register('live-2');
    await sse.until(() => sse.events.length === 2);
    for (const event of sse.events) expect(await reader.findByEventId(event.eventID)).toEqual(event);
    expect(sse.events.map((e) => e.epcList[0])).toEqual(['urn:m2m-trust:device:live-1', 'urn:m2m-trust:device:live-2']);
    expect(sse.frames.filter((f) => f.data !== undefined).map((f) => f.id)).toEqual(sse.events.map((e) => e.eventID));
  });

  it('sends a heartbeat comment while idle', async () => {
    const hub = hubWith({ heartbeatMs: 30 });
    const sse = new SseReader(hub.open('all', {}, null).stream);
    await sse.until(() => sse.frames.some((f) => f.comment?.startsWith('heartbeat') ?? false));
  });

  it('replays from a record time, then goes live, with no event lost or repeated while appends race the replay', async () => {
    const from = new Date().toISOString();
    await Promise.all(Array.from({ length: 700 }, (_, i) => register(`replay-${i}`)));
    const hub = hubWith();
    // A slow reader: the replay (500 events a page) waits for it to drain between pages, and commits land meanwhile.
    const sse = new SseReader(hub.open('replayed', parseEventCriteria({ EQ_action: 'ADD' }), { fromRecordTime: from }).stream, true);
    let raced = 0;
    while (sse.count < 700) await Promise.all(Array.from({ length: 5 }, () => register(`race-${raced++}`)));
    expect(raced).toBeGreaterThan(5);
    await register('after-all');
    await sse.until(() => sse.events.some((e) => e.epcList[0] === 'urn:m2m-trust:device:after-all'));
    const want: string[] = [];
    let page = await reader.query({ actions: ['ADD'], geRecordTime: from, perPage: 1000 });
    for (;;) {
      want.push(...page.events.map((e) => e.eventID));
      if (!page.nextAfter) break;
      page = await reader.query({ actions: ['ADD'], geRecordTime: from, perPage: 1000, after: page.nextAfter });
    }
    expect(want).toHaveLength(700 + raced + 1);
    expect(sse.events.map((e) => e.eventID)).toEqual(want);
  });

  it('resumes right after the last event a client received (Last-Event-ID)', async () => {
    const first = await register('resume-1');
    await register('resume-2');
    await register('resume-3');
    const hub = hubWith();
    const after = (await reader.positionOf((await reader.query({ epcs: ['urn:m2m-trust:device:resume-1'], perPage: 1 })).events[0]?.eventID ?? '')) as number;
    expect(after).toBeGreaterThan(0);
    const sse = new SseReader(hub.open('resumed', parseEventCriteria({ MATCH_epc: 'urn:m2m-trust:device:resume-1|urn:m2m-trust:device:resume-2|urn:m2m-trust:device:resume-3' }), { after }).stream);
    await sse.until(() => sse.events.length === 2);
    expect(sse.events.map((e) => e.epcList[0])).toEqual(['urn:m2m-trust:device:resume-2', 'urn:m2m-trust:device:resume-3']);
    expect(first.events).toHaveLength(1);
  });

  it('bounds the subscribers, and frees a slot when a client goes away', async () => {
    const hub = hubWith({ maxSubscribers: 2 });
    const one = hub.open('q', {}, null);
    hub.open('q', {}, null).stream.resume();
    expect(() => hub.open('q', {}, null)).toThrow(expect.objectContaining({ code: ErrorCode.SubscriptionLimitReached }));
    one.stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect(hub.size).toBe(1);
    const again = hub.open('q', {}, null);
    again.stream.resume();
    expect(again.id).toEqual(expect.any(String));
  });

  it('ends the subscriptions of a deleted query, and every one at shutdown, with a last `end` event', async () => {
    const hub = hubWith();
    const deleted = new SseReader(hub.open('gone', {}, null).stream);
    const kept = new SseReader(hub.open('kept', {}, null).stream);
    hub.closeQuery('gone');
    await deleted.until(() => deleted.ended);
    expect(deleted.frames.at(-1)).toMatchObject({ event: 'end', data: expect.stringContaining('query-deleted') });
    expect(kept.ended).toBe(false);
    await hub.beforeApplicationShutdown();
    expect(kept.ended).toBe(true);
    expect(kept.frames.at(-1)).toMatchObject({ event: 'end', data: expect.stringContaining('shutdown') });
    expect(hub.size).toBe(0);
  });

  it('drops a subscriber that does not read rather than buffering without bound', async () => {
    const hub = hubWith({ maxBufferedBytes: 4096 });
    const stream = hub.open('slow', {}, null).stream;
    for (let i = 0; i < 10; i++) await register(`slow-${i}`);
    expect(hub.size).toBe(0);
    const sse = new SseReader(stream);
    await sse.until(() => sse.ended);
    expect(sse.frames.at(-1)).toMatchObject({ event: 'end', data: expect.stringContaining('slow-consumer') });
  });
});
