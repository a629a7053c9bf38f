import { type EpcisObjectEvent, type EventQuery, matchesEventFilter, parseEventCriteria, toEpcisEvent } from '@m2m-trust/audit-domain';
import { openSqliteDatabase, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';
import { ErrorCode } from '@m2m-trust/shared-domain';
import type { RecordedEvent } from '@m2m-trust/shared-events';
import { openPostgresDatabase, type PostgresDatabase } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AuditPage } from '../audit-log.repository';
import { allPages, eventSource, expectedResult, type StoredEvent } from '../audit-log.test-events';
import { EXTENSION_QUERIES, NONE, PARAMETER_CASES } from '../audit-query.test-table';
import { AuditChain1763700000400 } from '../sqlite/audit-chain.migration';
import { AuditLog1763700000300 } from '../sqlite/audit-log.migration';
import { AuditQueryIndexes1763700000510 } from '../sqlite/audit-query-indexes.migration';
import { AuditTree1763700000900 } from '../sqlite/audit-tree.migration';
import { NamedQueries1763700000520 } from '../sqlite/named-queries.migration';
import { SqliteAuditChainStore } from '../sqlite/sqlite-audit-chain.store';
import { SqliteAuditLogProjection } from '../sqlite/sqlite-audit-log.projection';
import { SqliteAuditLogReader } from '../sqlite/sqlite-audit-log.reader';
import { auditPostgresMigrations } from './audit-postgres.providers';
import { PostgresAuditChainStore } from './postgres-audit-chain.store';
import { PostgresAuditLogReader } from './postgres-audit-log.reader';
import { PostgresAuditLogWriter } from './postgres-audit-log.writer';

/** A page as bytes: the documents exactly as serialised (key order included) and the cursor. */
const bytesOf = (page: AuditPage): string => JSON.stringify(page);

/**
 * The PostgreSQL reader against the SQLite reader, both fed the same
 * recorded events through their own writers: every page, cursor and document
 * must be identical, and both must equal the in-memory answer.
 */
describe('PostgresAuditLogReader (real PostgreSQL, against the SQLite reader)', () => {
  const schema = uniqueSchema('audit_reader');
  let pg: PostgresDatabase;
  let sqlite: SqliteDatabase;
  let sqliteProjection: SqliteAuditLogProjection;
  const writer = new PostgresAuditLogWriter();
  const next = eventSource(42);
  const stored: StoredEvent[] = [];

  /** Appends the same events to both stores, in batches of up to 37 on PostgreSQL. */
  const append = async (count: number): Promise<void> => {
    const events: RecordedEvent[] = Array.from({ length: count }, () => next());
    sqlite.db.transaction(() => events.forEach((event) => sqliteProjection.apply(event)))();
    for (let i = 0; i < events.length; i += 37) {
      await pg.transaction((tx) => writer.applyBatch(tx, events.slice(i, i + 37)));
    }
    for (const event of events) stored.push({ seq: stored.length + 1, event: toEpcisEvent(event) as EpcisObjectEvent });
  };

  beforeAll(async () => {
    sqlite = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-audit-pg-contract-')), [
      AuditLog1763700000300,
      AuditChain1763700000400,
      AuditTree1763700000900,
      AuditQueryIndexes1763700000510,
      NamedQueries1763700000520,
    ]);
    sqliteProjection = new SqliteAuditLogProjection(sqlite.db);
    pg = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: auditPostgresMigrations, applicationName: 'audit-reader-int-spec' });
    await append(400);
    // Statistics, as autovacuum would gather them on a live log: the planner's choices are part of what is tested.
    await pg.pool.query('ANALYZE audit_events');
  });

  afterAll(async () => {
    await pg?.close();
    await sqlite?.close();
    await dropSchema(schema);
  });

  const queries: [string, Record<string, string>][] = [
    ['everything', {}],
    ['everything, newest first', { orderDirection: 'DESC' }],
    ['one device', { MATCH_epc: 'urn:m2m-trust:device:meter-3' }],
    ['two devices, newest first', { MATCH_epc: 'urn:m2m-trust:device:meter-3|urn:m2m-trust:device:meter-5', orderDirection: 'DESC' }],
    ['a device by both EPC parameters', { MATCH_epc: 'urn:m2m-trust:device:meter-3|urn:m2m-trust:device:meter-4', MATCH_anyEPC: 'urn:m2m-trust:device:meter-4' }],
    ['one event type', { eventType: 'ObjectEvent', orderBy: 'eventTime' }],
    ['an event type the log does not hold', { eventType: 'AggregationEvent' }],
    ['failures by event time', { EQ_disposition: 'non_conformant', orderBy: 'eventTime' }],
    ['failures by event time, ascending', { EQ_bizStep: 'inspecting', EQ_disposition: 'non_conformant', orderBy: 'eventTime', orderDirection: 'ASC' }],
    ['CBV URIs for terms', { EQ_bizStep: 'https://ref.gs1.org/cbv/BizStep-commissioning', EQ_disposition: 'https://ref.gs1.org/cbv/Disp-active' }],
    ['one reason by record time', { 'EQ_m2m:reason': 'CHALLENGE_EXPIRED', orderBy: 'recordTime', orderDirection: 'ASC' }],
    ['two reasons, by namespace', { 'EQ_{https://ns.m2m-trust.org/epcis/}reason': 'CHALLENGE_EXPIRED|lost' }],
    ['revocations, newest recorded first', { EQ_action: 'DELETE', orderBy: 'recordTime' }],
    ['two actions', { EQ_action: 'ADD|DELETE', orderBy: 'eventTime', orderDirection: 'ASC' }],
    ['one key by method', { 'EQ_m2m:keyThumbprint': 't-meter-7', 'EQ_m2m:method': 'challenge-response' }],
    ['one request', { 'EQ_m2m:requestId': 'req-source-17' }],
    ['one challenge', { 'EQ_m2m:challengeId': 'c-source-30|c-source-31|c-source-32' }],
    ['a time window in record order', { GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00Z' }],
    ['from a time on, in record order', { GE_eventTime: '2026-01-02T10:00:00Z' }],
    ['a time window by event time', { GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00Z', orderBy: 'eventTime' }],
    ['a time with an offset', { GE_eventTime: '2026-01-01T07:00:00+02:00', LT_eventTime: '2026-01-01T09:30:00.5+01:00', orderBy: 'eventTime' }],
    ['until a time, newest first', { LT_eventTime: '2026-01-01T12:00:00Z', orderDirection: 'DESC' }],
    ['failures in a time window, newest first', { EQ_disposition: 'non_conformant', GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-02T05:00:00Z', orderDirection: 'DESC' }],
    ['an event-time window by record time', { GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00Z', orderBy: 'recordTime' }],
    ['a record-time window by event time', { GE_recordTime: '2026-01-01T00:01:00Z', LT_recordTime: '2026-01-01T00:05:00Z', orderBy: 'eventTime', orderDirection: 'ASC' }],
    ['a record-time window, newest first', { GE_recordTime: '2026-01-01T00:02:00Z', LT_recordTime: '2026-01-01T00:05:00Z', orderDirection: 'DESC' }],
    ['the first 23 by event time', { orderBy: 'eventTime', orderDirection: 'ASC', eventCountLimit: '23' }],
    ['the latest 5 failures of a device', { MATCH_epc: 'urn:m2m-trust:device:meter-1', EQ_action: 'OBSERVE', orderBy: 'eventTime', eventCountLimit: '5' }],
    ['a limit of exactly one page', { orderBy: 'recordTime', eventCountLimit: '7' }],
    ['operator actions', { 'EQ_m2m:actor': 'api-key:admin', orderBy: 'eventTime', orderDirection: 'ASC' }],
    ['within maxEventCount', { EQ_action: 'ADD', maxEventCount: '1000' }],
    ['within maxEventCount, by event time', { EQ_action: 'DELETE', orderBy: 'eventTime', maxEventCount: '1000' }],
    ...EXTENSION_QUERIES,
  ];

  // A log of 400 fits in one walk: a budget of 0 takes the other plan (collect the matches, sort them) for every time range here.
  describe.each([
    ['as planned for a large log', {}],
    ['with the matches always collected and sorted', { walkBudget: 0 }],
    ['with a walk too short for most pages', { walkBudget: 20 }],
  ])('%s', (__, options) => {
    it.each(queries)('pages "%s" exactly as the SQLite reader and as the whole ordered result, in pages of 7', async (___, params) => {
      const query: EventQuery = { ...parseEventCriteria(params), perPage: 7 };
      const pages = await allPages(new PostgresAuditLogReader(pg.pool, options), query);
      const sqlitePages = await allPages(new SqliteAuditLogReader(sqlite.db), query);
      expect(pages.map(bytesOf)).toEqual(sqlitePages.map(bytesOf));
      const want = expectedResult(stored, query);
      // Each query is chosen to select something, so that agreeing on nothing proves nothing.
      if (params['eventType'] !== 'AggregationEvent') expect(want.length).toBeGreaterThan(0);
      expect(pages.flatMap((page) => page.events.map((e) => e.eventID))).toEqual(want.map((e) => e.eventID));
      expect(pages.length).toBe(Math.max(1, Math.ceil(want.length / 7)));
    });
  });

  it('keeps every ordering stable while events are appended between pages, page for page as SQLite', async () => {
    const reader = new PostgresAuditLogReader(pg.pool);
    const sqliteReader = new SqliteAuditLogReader(sqlite.db);
    for (const params of <Record<string, string>[]>[{}, { orderBy: 'eventTime' }, { orderBy: 'eventTime', orderDirection: 'ASC' }, { orderBy: 'recordTime' }, { orderDirection: 'DESC' }, { GE_eventTime: '2026-01-01T10:00:00Z' }]) {
      const query: EventQuery = { ...parseEventCriteria(params), perPage: 25 };
      const before = new Set(stored.filter((s) => matchesEventFilter(s.event, query)).map((s) => s.event.eventID));
      const seen: string[] = [];
      let next: EventQuery | null = query;
      while (next) {
        const page = await reader.query(next);
        expect(bytesOf(page)).toBe(bytesOf(await sqliteReader.query(next)));
        seen.push(...page.events.map((e) => e.eventID));
        // New events land everywhere in event time order (they have scattered times).
        await append(3);
        next = page.nextAfter ? { ...query, after: page.nextAfter } : null;
      }
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
    }
  });

  it.each(PARAMETER_CASES.map((c) => [c.name, c] as const))('selects exactly the events the parameter table says, as SQLite: %s', async (_, c) => {
    const query: EventQuery = { ...parseEventCriteria(c.params), perPage: 50 };
    const pages = await allPages(new PostgresAuditLogReader(pg.pool), query);
    expect(pages.map(bytesOf)).toEqual((await allPages(new SqliteAuditLogReader(sqlite.db), query)).map(bytesOf));
    const want = stored.filter((s) => c.selects(s.event)).map((s) => s.event.eventID);
    if (c.selects !== NONE) expect(want.length).toBeGreaterThan(0);
    expect(pages.flatMap((page) => page.events.map((e) => e.eventID)).sort()).toEqual(want.sort());
  });

  it('answers a condition no event can satisfy without asking the database', async () => {
    const closed = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: auditPostgresMigrations, applicationName: 'audit-reader-closed' });
    await closed.close();
    const reader = new PostgresAuditLogReader(closed.pool);
    await expect(reader.query({ ...parseEventCriteria({ EQ_action: 'ADD' }), perPage: 10 })).rejects.toThrow();
    for (const params of <Record<string, string>[]>[{ EQ_readPoint: 'urn:epc:id:sgln:0614141.07346.1234' }, { 'EXISTS_m2m:colour': '', maxEventCount: '1' }]) {
      expect(await reader.query({ ...parseEventCriteria(params), perPage: 10 })).toEqual({ events: [], nextAfter: null });
    }
  });

  it('refuses a first page as QueryTooLargeException when more than maxEventCount events match, counting no further', async () => {
    const reader = new PostgresAuditLogReader(pg.pool);
    const adds = stored.filter((s) => s.event.action === 'ADD').length;
    await expect(reader.query({ actions: ['ADD'], maxEventCount: adds - 1, perPage: 10 })).rejects.toMatchObject({ code: ErrorCode.QueryTooLarge });
    const exact = await allPages(reader, { actions: ['ADD'], maxEventCount: adds, perPage: 10 });
    expect(exact.flatMap((page) => page.events)).toHaveLength(adds);
  });

  it('finds one event by its ID, byte for byte as SQLite, and its position, and knows which event types it holds', async () => {
    const reader = new PostgresAuditLogReader(pg.pool);
    const tenth = stored[9] as StoredEvent;
    const found = await reader.findByEventId(tenth.event.eventID);
    expect(found).toEqual(tenth.event);
    expect(JSON.stringify(found)).toBe(JSON.stringify(await new SqliteAuditLogReader(sqlite.db).findByEventId(tenth.event.eventID)));
    expect(await reader.positionOf(tenth.event.eventID)).toBe(10);
    expect(await reader.findByEventId('ni:///sha-256;00?ver=CBV2.0')).toBeNull();
    expect(await reader.positionOf('nope')).toBeNull();
    expect(await reader.eventTypes()).toEqual(['ObjectEvent']);
  });

  it('chains the same events to the same records as SQLite: same links, same hashes', async () => {
    const chain = new PostgresAuditChainStore(pg.pool);
    const sqliteChain = new SqliteAuditChainStore(sqlite.db);
    expect(await chain.head()).toEqual(await sqliteChain.head());
    expect(JSON.stringify(await chain.records(0, 1000))).toBe(JSON.stringify(await sqliteChain.records(0, 1000)));
  });
});
