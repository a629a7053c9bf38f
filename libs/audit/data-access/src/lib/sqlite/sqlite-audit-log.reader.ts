import { EPCIS_EVENT_TYPES, type EpcisObjectEvent, type EventFilter, type EventQuery, orderDirectionOf } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import type Database from 'better-sqlite3';

import { auditPage, type DocumentField, equalityFilters, orderKey, pageSize, presenceFilters, rangeFilters, selectsNothing } from '../audit-log.query';
import type { AuditLogRepository, AuditPage } from '../audit-log.repository';
import { ORDERED_BY_EVENT_TIME } from '../audit-query-order';
import { VOCABULARY_COLUMNS, type VocabularyField } from '../audit-vocabulary';

interface Row {
  readonly seq: number;
  readonly k: string | null;
  readonly document: string;
}

/**
 * One condition of a query: equality terms (`column IN (...)`) can be
 * written `+column`, which keeps SQLite from using that column's index, to
 * steer the plan (see {@link SqliteAuditLogReader.query}).
 */
interface Term {
  /** `document`: a field read from the stored JSON, which no index serves and the planner does not count. */
  readonly kind: 'equality' | 'range' | 'document' | 'presence';
  readonly column: string;
  readonly sql: (steered: boolean) => string;
  readonly args: readonly unknown[];
}

/** An extension field without a column, from the stored document (the name is from a closed list, never input). */
const documentField: DocumentField = (name) => `json_extract(document, '$."m2m:${name}"')`;

/** The conditions of a query's filters. */
function termsOf(filter: EventFilter): Term[] {
  const terms: Term[] = [];
  for (const [column, values] of equalityFilters(filter, documentField)) {
    const test = values.length === 1 ? '= ?' : `IN (${values.map(() => '?').join(', ')})`;
    const kind = column.startsWith('json_extract(') ? 'document' : 'equality';
    terms.push({ kind, column, sql: (steered) => `${steered ? '+' : ''}${column} ${test}`, args: values });
  }
  for (const column of presenceFilters(filter, documentField)) {
    terms.push({ kind: 'presence', column, sql: () => `${column} IS NOT NULL`, args: [] });
  }
  for (const [column, op, value] of rangeFilters(filter)) {
    terms.push({ kind: 'range', column, sql: (steered) => `${steered ? '+' : ''}${column} ${op} ?`, args: [value] });
  }
  return terms;
}

const whereClause = (sqls: readonly string[]): string => (sqls.length > 0 ? `WHERE ${sqls.join(' AND ')}` : '');

/**
 * Matches up to which sorting them beats walking an order index past the
 * ones that do not match. Either costs about one row lookup per row touched:
 * sorting touches every match, walking about page × events / matches rows.
 * They meet near sqrt(page × events): 10 000 matches at a million events.
 */
const denseThreshold = (events: number, page: number): number => Math.max(64, Math.round(Math.sqrt(events * page)));

/**
 * Reads of the audit log: EPCIS queries over indexed columns, keyset-paged
 * on (order key, seq) so events committed while an auditor pages never shift
 * or repeat what was already read, whatever the order.
 */
export class SqliteAuditLogReader implements AuditLogRepository {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly dense: number | null;

  /** `denseMatches` fixes the threshold, for tests that exercise both plans on a small log. */
  constructor(
    private readonly db: Database.Database,
    options: { readonly denseMatches?: number } = {},
  ) {
    this.dense = options.denseMatches ?? null;
  }

  async query(query: EventQuery): Promise<AuditPage> {
    if (selectsNothing(query)) return { events: [], nextAfter: null };
    if (query.after === undefined && query.maxEventCount !== undefined) this.refuseIfMoreThan(query, query.maxEventCount);
    const { size, remaining } = pageSize(query);
    if (size === 0) return { events: [], nextAfter: null };

    const terms = termsOf(query);
    const column = orderKey(query.orderBy, documentField);
    const direction = orderDirectionOf(query);
    const { steer, hint } = this.plan(terms, column, size + 1);
    const sqls = terms.map((term) => term.sql(steer.has(term.column)));
    const args = terms.flatMap((term) => term.args);
    const past = direction === 'ASC' ? '>' : '<';
    if (query.after) {
      if (column) {
        // The leading `column >= ?` is what an index range can use; the OR breaks ties on seq.
        sqls.push(`${column} ${past}= ? AND (${column} ${past} ? OR seq ${past} ?)`);
        args.push(query.after.key ?? '', query.after.key ?? '', query.after.seq);
      } else {
        sqls.push(`seq ${past} ?`);
        args.push(query.after.seq);
      }
    }
    const order = column ? `${column} ${direction}, seq ${direction}` : `seq ${direction}`;
    // Two phases: choose the page's sequences (sorting, if any, moves keys, not documents), then read those rows.
    const sql =
      `SELECT seq, ${column ?? 'NULL'} AS k, document FROM audit_events WHERE seq IN ` +
      `(SELECT seq FROM audit_events ${hint} ${whereClause(sqls)} ORDER BY ${order} LIMIT ?) ORDER BY ${order}`;
    const rows = this.statement(sql).all(...args, size + 1) as Row[];
    return auditPage(rows, size, remaining, (row) => JSON.parse(row.document) as EpcisObjectEvent);
  }

  /**
   * Chooses between the two plans a page can have, where SQLite (which keeps
   * no statistics here) would guess: walk an index in the requested order and
   * skip what does not match, or collect what matches through a filter's
   * index and sort it. A capped count through the filter's own index (a few
   * index pages) tells which is cheaper.
   *
   * - Ordered by a time, with equality filters: when more events than the
   *   threshold match, sorting them all would grow with the log, while
   *   matches are dense enough to find a page quickly in order: write the
   *   filters `+column` so an ordered index drives (a filter's own
   *   `(column, event_time)` index where it has one, else the time index).
   * - In record order with only time bounds: a narrow range is read through
   *   the time index and sorted; a wide one is scanned in record order (SQLite
   *   would otherwise sort a two-sided range of any width).
   */
  private plan(terms: readonly Term[], column: string | null, page: number): { steer: ReadonlySet<string>; hint: string } {
    const none = { steer: new Set<string>(), hint: '' };
    if (terms.length === 0) return none;
    const dense = this.dense ?? denseThreshold(this.size(), page);
    const equalities = terms.filter((term) => term.kind === 'equality');
    if (column !== null) {
      if (equalities.length === 0 || this.matchesAtMost(equalities, dense)) return none;
      // A filter with its own (column, event_time) index serves filter and order at once: keep it, steer the others.
      const twinned = column === 'event_time' ? equalities.filter((term) => (ORDERED_BY_EVENT_TIME as readonly string[]).includes(term.column)) : [];
      const steered = twinned.length > 0 ? equalities.filter((term) => !twinned.includes(term)) : equalities;
      return { steer: new Set(steered.map((term) => term.column)), hint: '' };
    }
    const ranges = terms.filter((term) => term.kind === 'range');
    if (equalities.length > 0 || ranges.length === 0) return none;
    const timeColumn = (ranges[0] as Term).column;
    // Sorting a range by seq reads the time index alone (it carries seq): far cheaper per match than a row lookup.
    if (this.matchesAtMost(ranges, 16 * dense)) return { steer: new Set(), hint: `INDEXED BY audit_events_${timeColumn}` };
    return { steer: new Set(ranges.map((term) => term.column)), hint: '' };
  }

  /** Events in the log: the last sequence, one index probe (the log is append-only). */
  private size(): number {
    return (this.statement('SELECT COALESCE(MAX(seq), 0) AS n FROM audit_events').get() as { n: number }).n;
  }

  /** Whether at most `cap` events satisfy the terms: stops counting at cap + 1. */
  private matchesAtMost(terms: readonly Term[], cap: number): boolean {
    const { n } = this.statement(`SELECT count(*) AS n FROM (SELECT 1 FROM audit_events ${whereClause(terms.map((term) => term.sql(false)))} LIMIT ?)`).get(
      ...terms.flatMap((term) => term.args),
      cap + 1,
    ) as { n: number };
    return n <= cap;
  }

  async findByEventId(eventId: string): Promise<EpcisObjectEvent | null> {
    const row = this.statement('SELECT document FROM audit_events WHERE event_id = ?').get(eventId) as { document: string } | undefined;
    return row ? (JSON.parse(row.document) as EpcisObjectEvent) : null;
  }

  async positionOf(eventId: string): Promise<number | null> {
    const row = this.statement('SELECT seq FROM audit_events WHERE event_id = ?').get(eventId) as { seq: number } | undefined;
    return row?.seq ?? null;
  }

  async eventTypes(): Promise<readonly string[]> {
    // One indexed probe per standard type rather than a DISTINCT over the whole log.
    const probe = this.statement('SELECT 1 AS found FROM audit_events WHERE event_type = ? LIMIT 1');
    return EPCIS_EVENT_TYPES.filter((type) => probe.get(type) !== undefined).sort();
  }

  /** The binding's maxEventCount: counts no further than one past the limit. */
  private refuseIfMoreThan(filter: EventFilter, max: number): void {
    if (!this.matchesAtMost(termsOf(filter), max)) {
      throw new DomainError(ErrorCode.QueryTooLarge, `More than maxEventCount (${max}) events match; narrow the query or page it without maxEventCount`);
    }
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // Filters combine into a bounded but large set of shapes; keep the cache bounded too.
      if (this.statements.size >= 256) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async distinctValues(field: VocabularyField, after: string | null, limit: number): Promise<readonly string[]> {
    // A loose index scan: each value is one seek past the last, never a walk over the events that share it.
    const next = this.statement(`SELECT ${VOCABULARY_COLUMNS[field]} AS v FROM audit_events WHERE ${VOCABULARY_COLUMNS[field]} > ? ORDER BY 1 LIMIT 1`);
    const values: string[] = [];
    let last = after ?? '';
    while (values.length < limit) {
      const row = next.get(last) as { v: string } | undefined;
      if (!row) break;
      values.push(row.v);
      last = row.v;
    }
    return values;
  }

  async holdsValue(field: VocabularyField, value: string): Promise<boolean> {
    return this.statement(`SELECT 1 AS found FROM audit_events WHERE ${VOCABULARY_COLUMNS[field]} = ? LIMIT 1`).get(value) !== undefined;
  }
}
