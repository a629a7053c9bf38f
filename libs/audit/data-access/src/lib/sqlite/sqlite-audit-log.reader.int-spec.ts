import {
  type EpcisObjectEvent,
  type EventQuery,
  type NamedQuery,
  parseEventCriteria,
  toEpcisEvent,
} from '@m2m-trust/audit-domain';
import { openSqliteDatabase, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';
import { ErrorCode } from '@m2m-trust/shared-domain';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventSource, expectedResult, type StoredEvent } from '../audit-log.test-events';
import { EXTENSION_QUERIES, NONE, PARAMETER_CASES } from '../audit-query.test-table';
import { AuditChain1763700000400 } from './audit-chain.migration';
import { AuditLog1763700000300 } from './audit-log.migration';
import { AuditQueryIndexes1763700000510 } from './audit-query-indexes.migration';
import { AuditTree1763700000900 } from './audit-tree.migration';
import { NamedQueries1763700000520 } from './named-queries.migration';
import { SqliteAuditLogProjection } from './sqlite-audit-log.projection';
import { SqliteAuditLogReader } from './sqlite-audit-log.reader';
import { SqliteNamedQueryRepository } from './sqlite-named-query.repository';

const MIGRATIONS = [AuditLog1763700000300, AuditChain1763700000400, AuditTree1763700000900, AuditQueryIndexes1763700000510, NamedQueries1763700000520];
/** Every page of a query, following the cursors the reader hands out. */
async function allPages(reader: SqliteAuditLogReader, query: EventQuery): Promise<{ events: EpcisObjectEvent[]; pages: number }> {
  const events: EpcisObjectEvent[] = [];
  let next: EventQuery | null = query;
  let pages = 0;
  while (next) {
    const page = await reader.query(next);
    expect(page.events.length).toBeLessThanOrEqual(query.perPage);
    events.push(...page.events);
    pages++;
    next = page.nextAfter ? { ...query, after: page.nextAfter } : null;
  }
  return { events, pages };
}

describe('SqliteAuditLogReader (real SQLite)', () => {
  let database: SqliteDatabase;
  let projection: SqliteAuditLogProjection;
  const stored: StoredEvent[] = [];
  const next = eventSource(42);

  const append = (count: number): StoredEvent[] => {
    const added: StoredEvent[] = [];
    for (let i = 0; i < count; i++) {
      const recorded = next();
      projection.apply(recorded);
      const entry = { seq: stored.length + 1, event: toEpcisEvent(recorded) as EpcisObjectEvent };
      stored.push(entry);
      added.push(entry);
    }
    return added;
  };

  beforeAll(async () => {
    database = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-audit-reader-')), MIGRATIONS);
    projection = new SqliteAuditLogProjection(database.db);
    database.db.transaction(() => append(400))();
  });
  afterAll(() => database.close());

  const queries: [string, Record<string, string>][] = [
    ['everything', {}],
    ['one device', { MATCH_epc: 'urn:m2m-trust:device:meter-3' }],
    ['two devices, newest first', { MATCH_epc: 'urn:m2m-trust:device:meter-3|urn:m2m-trust:device:meter-5', orderDirection: 'DESC' }],
    ['failures by event time', { EQ_disposition: 'non_conformant', orderBy: 'eventTime' }],
    ['failures by event time, ascending', { EQ_bizStep: 'inspecting', EQ_disposition: 'non_conformant', orderBy: 'eventTime', orderDirection: 'ASC' }],
    ['one reason by record time', { 'EQ_m2m:reason': 'CHALLENGE_EXPIRED', orderBy: 'recordTime', orderDirection: 'ASC' }],
    ['revocations, newest recorded first', { EQ_action: 'DELETE', orderBy: 'recordTime' }],
    ['a time window in record order', { GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00Z' }],
    ['from a time on, in record order', { GE_eventTime: '2026-01-02T10:00:00Z' }],
    ['a time window by event time', { GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00Z', orderBy: 'eventTime' }],
    ['a record-time window, newest first', { GE_recordTime: '2026-01-01T00:02:00Z', LT_recordTime: '2026-01-01T00:05:00Z', orderDirection: 'DESC' }],
    ['the first 23 by event time', { orderBy: 'eventTime', orderDirection: 'ASC', eventCountLimit: '23' }],
    ['the latest 5 failures of a device', { MATCH_epc: 'urn:m2m-trust:device:meter-1', EQ_action: 'OBSERVE', orderBy: 'eventTime', eventCountLimit: '5' }],
    ['operator actions', { 'EQ_m2m:actor': 'api-key:admin', orderBy: 'eventTime', orderDirection: 'ASC' }],
    ['within maxEventCount', { EQ_action: 'ADD', maxEventCount: '1000' }],
    ...EXTENSION_QUERIES,
  ];

  // A threshold of 10 makes the reader take its other plan (walk the order index) for every dense filter here.
  describe.each([
    ['as planned for a large log', {}],
    ['with the order-index walk forced early', { denseMatches: 10 }],
  ])('%s', (_, options) => {
    it.each(queries)('pages "%s" exactly as the whole ordered result, in pages of 7', async (__, params) => {
      const reader = new SqliteAuditLogReader(database.db, options);
      const query: EventQuery = { ...parseEventCriteria(params), perPage: 7 };
      const want = expectedResult(stored, query);
      const { events, pages } = await allPages(reader, query);
      expect(events.map((e) => e.eventID)).toEqual(want.map((e) => e.eventID));
      expect(pages).toBe(Math.max(1, Math.ceil(want.length / 7)));
    });
  });

  it('keeps every ordering stable while events are appended between pages: nothing read repeats, nothing present is missed', async () => {
    const reader = new SqliteAuditLogReader(database.db);
    for (const params of <Record<string, string>[]>[{}, { orderBy: 'eventTime' }, { orderBy: 'eventTime', orderDirection: 'ASC' }, { orderBy: 'recordTime' }, { orderDirection: 'DESC' }]) {
      const query: EventQuery = { ...parseEventCriteria(params), perPage: 25 };
      const before = new Set(stored.map((s) => s.event.eventID));
      const seen: string[] = [];
      let next: EventQuery | null = query;
      while (next) {
        const page = await reader.query(next);
        seen.push(...page.events.map((e) => e.eventID));
        // New events land everywhere in event time order (they have scattered times).
        database.db.transaction(() => append(3))();
        next = page.nextAfter ? { ...query, after: page.nextAfter } : null;
      }
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
    }
  });

  it.each(PARAMETER_CASES.map((c) => [c.name, c] as const))('selects exactly the events the parameter table says: %s', async (_, c) => {
    const reader = new SqliteAuditLogReader(database.db);
    const { events } = await allPages(reader, { ...parseEventCriteria(c.params), perPage: 50 });
    const want = stored.filter((s) => c.selects(s.event)).map((s) => s.event.eventID);
    if (c.selects !== NONE) expect(want.length).toBeGreaterThan(0);
    expect(events.map((e) => e.eventID).sort()).toEqual(want.sort());
  });

  it('answers a condition no event can satisfy without asking the database', async () => {
    const closed = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-audit-closed-')), MIGRATIONS);
    const reader = new SqliteAuditLogReader(closed.db);
    await closed.close();
    await expect(reader.query({ ...parseEventCriteria({ EQ_action: 'ADD' }), perPage: 10 })).rejects.toThrow();
    for (const params of <Record<string, string>[]>[{ EQ_readPoint: 'urn:epc:id:sgln:0614141.07346.1234' }, { 'EXISTS_m2m:colour': '', maxEventCount: '1' }]) {
      expect(await reader.query({ ...parseEventCriteria(params), perPage: 10 })).toEqual({ events: [], nextAfter: null });
    }
  });

  it('refuses a first page as QueryTooLargeException when more than maxEventCount events match, counting no further', async () => {
    const reader = new SqliteAuditLogReader(database.db);
    const adds = stored.filter((s) => s.event.action === 'ADD').length;
    await expect(reader.query({ actions: ['ADD'], maxEventCount: adds - 1, perPage: 10 })).rejects.toMatchObject({ code: ErrorCode.QueryTooLarge });
    const exact = await allPages(reader, { actions: ['ADD'], maxEventCount: adds, perPage: 10 });
    expect(exact.events).toHaveLength(adds);
  });

  it('finds one event by its ID and its position, and knows which event types it holds', async () => {
    const reader = new SqliteAuditLogReader(database.db);
    const tenth = stored[9] as StoredEvent;
    expect(await reader.findByEventId(tenth.event.eventID)).toEqual(tenth.event);
    expect(await reader.positionOf(tenth.event.eventID)).toBe(10);
    expect(await reader.findByEventId('ni:///sha-256;00?ver=CBV2.0')).toBeNull();
    expect(await reader.positionOf('nope')).toBeNull();
    expect(await reader.eventTypes()).toEqual(['ObjectEvent']);
  });

  it('stores named queries by name: one create per name wins, lists page in name order, deletes', async () => {
    const repository = new SqliteNamedQueryRepository(database.db);
    const named = (name: string): NamedQuery => ({ name, query: { EQ_action: ['ADD'] }, createdAt: '2026-01-01T00:00:00.000Z' });
    for (const name of ['gamma', 'alpha', 'beta', 'delta']) expect(await repository.create(named(name))).toBe(true);
    expect(await repository.create({ ...named('alpha'), query: {} })).toBe(false);
    expect(await repository.find('alpha')).toEqual(named('alpha'));
    const first = await repository.list(null, 3);
    expect(first.items.map((q) => q.name)).toEqual(['alpha', 'beta', 'delta']);
    expect(first.nextAfter).toBe('delta');
    expect(await repository.list(first.nextAfter, 3)).toEqual({ items: [named('gamma')], nextAfter: null });
    expect(await repository.delete('beta')).toBe(true);
    expect(await repository.delete('beta')).toBe(false);
    expect(await repository.find('beta')).toBeNull();
  });
});

describe('audit query migrations on an existing database', () => {
  it('upgrade a log written before them: indexes and the named-query table appear, and the old events answer queries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-audit-upgrade-'));
    const next = eventSource(7, 'before');
    const before = await openSqliteDatabase(dir, [AuditLog1763700000300, AuditChain1763700000400]);
    const projection = new SqliteAuditLogProjection(before.db);
    const events = Array.from({ length: 30 }, () => next());
    for (const event of events) projection.apply(event);
    await before.close();

    const after = await openSqliteDatabase(dir, MIGRATIONS);
    try {
      const indexes = (after.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events'").all() as { name: string }[]).map(
        (row) => row.name,
      );
      expect(indexes).toEqual(
        expect.arrayContaining(['audit_events_reason', 'audit_events_biz_step_disposition', 'audit_events_event_type', 'audit_events_action', 'audit_events_disposition_event_time']),
      );
      const reader = new SqliteAuditLogReader(after.db);
      const page = await reader.query({ orderBy: 'eventTime', perPage: 100 });
      expect(page.events.map((e) => e.eventID).sort()).toEqual(events.map((e) => (toEpcisEvent(e) as EpcisObjectEvent).eventID).sort());
      expect(await new SqliteNamedQueryRepository(after.db).list(null, 10)).toEqual({ items: [], nextAfter: null });
    } finally {
      await after.close();
    }
  });
});
