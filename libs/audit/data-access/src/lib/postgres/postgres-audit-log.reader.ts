import { EPCIS_EVENT_TYPES, type EpcisObjectEvent, type EventFilter, type EventQuery, orderDirectionOf } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { PgExecutor } from '@m2m-trust/shared-postgres';

import { auditPage, type DocumentField, equalityFilters, orderKey, pageSize, presenceFilters, rangeFilters, selectsNothing } from '../audit-log.query';
import type { AuditLogRepository, AuditPage } from '../audit-log.repository';
import { VOCABULARY_COLUMNS, type VocabularyField } from '../audit-vocabulary';

interface Row {
  readonly seq: string;
  readonly k: string | null;
  /** The `json` column, parsed by the driver from the text as written. */
  readonly document: EpcisObjectEvent;
}

/** A WHERE clause under construction: conditions with `$n` placeholders, and their values. */
class Conditions {
  readonly sqls: string[] = [];
  readonly args: unknown[] = [];
  /** The columns the query bounds by a range (times). */
  readonly ranged = new Set<string>();

  param(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }

  add(sql: string): void {
    this.sqls.push(sql);
  }

  where(...more: string[]): string {
    const sqls = [...this.sqls, ...more];
    return sqls.length > 0 ? `WHERE ${sqls.join(' AND ')}` : '';
  }
}

/** An extension field without a column, from the stored document (the name is from a closed list, never input). */
const documentField: DocumentField = (name) => `(document->>'m2m:${name}')`;

/** A query's filters as SQL conditions. */
function conditionsOf(filter: EventFilter): Conditions {
  const c = new Conditions();
  for (const column of presenceFilters(filter, documentField)) c.add(`${column} IS NOT NULL`);
  for (const [column, values] of equalityFilters(filter, documentField)) {
    // One value as `=`, so an index on (column, seq) still returns rows in seq order; a list as one array parameter.
    c.add(values.length === 1 ? `${column} = ${c.param(values[0])}` : `${column} = ANY(${c.param(values)}::text[])`);
  }
  for (const [column, op, value] of rangeFilters(filter)) {
    c.add(`${column} ${op} ${c.param(value)}`);
    c.ranged.add(column);
  }
  return c;
}

/** Rows a page may first walk in its order before the matches are collected through the filters' indexes instead. */
const walkBudget = (page: number): number => Math.max(1000, 16 * page);

/**
 * Reads of the audit log on PostgreSQL, with the SQLite reader's semantics:
 * EPCIS queries over indexed columns, keyset-paged on (order key, seq) so
 * events committed while an auditor pages never shift or repeat what was
 * already read, whatever the order. Pages, cursors and documents are
 * identical to the SQLite reader's for the same records.
 *
 * PostgreSQL keeps statistics, so most plans are left to it. The keyset
 * condition is a row comparison, `(key, seq) > ($k, $s)`, which a btree on
 * (…, key, seq) reads as a range. One blind spot needs help: the planner
 * assumes matches are spread evenly along an order, but record order, event
 * time and record time run nearly together in an append-only log. Asked for
 * a day in record order, it walks the log from the start expecting a match
 * every few rows, and finds the first one after every record before that
 * day. So when a time range bounds another column than the order's, a page
 * first walks a bounded number of rows in order (enough when the matches
 * begin near where it starts, as with most open-ended bounds); when that
 * does not fill it, it collects the matching sequences through the filters'
 * indexes (index-only where they cover the filters), sorts them, and reads
 * only the page's rows.
 */
export class PostgresAuditLogReader implements AuditLogRepository {
  private readonly walkBudget: (page: number) => number;

  /** `walkBudget` fixes the rows a first attempt may walk, for tests that exercise both plans on a small log (0: never walk). */
  constructor(
    private readonly db: PgExecutor,
    options: { readonly walkBudget?: number } = {},
  ) {
    const fixed = options.walkBudget;
    this.walkBudget = fixed === undefined ? walkBudget : () => fixed;
  }

  async query(query: EventQuery): Promise<AuditPage> {
    if (selectsNothing(query)) return { events: [], nextAfter: null };
    if (query.after === undefined && query.maxEventCount !== undefined) await this.refuseIfMoreThan(query, query.maxEventCount);
    const { size, remaining } = pageSize(query);
    if (size === 0) return { events: [], nextAfter: null };

    const c = conditionsOf(query);
    // Strings order by code point, as the binding asks, whatever the database's collation.
    const column = orderKey(query.orderBy, documentField, ' COLLATE "C"');
    const direction = orderDirectionOf(query);
    const past = direction === 'ASC' ? '>' : '<';
    const keyset = query.after
      ? column
        ? `(${column}, seq) ${past} (${c.param(query.after.key ?? '')}, ${c.param(query.after.seq)})`
        : `seq ${past} ${c.param(query.after.seq)}`
      : null;
    const keysetSqls = keyset ? [keyset] : [];
    const order = column ? `${column} ${direction}, seq ${direction}` : `seq ${direction}`;
    const limit = c.param(size + 1);
    const select = `SELECT seq, ${column ?? 'NULL'} AS k, document FROM audit_events`;

    let rows: readonly Row[] | null = null;
    const misjudged = [...c.ranged].some((ranged) => ranged !== column);
    const budget = misjudged ? this.walkBudget(size + 1) : 0;
    if (!misjudged) {
      rows = (await this.db.query<Row>(`${select} ${c.where(...keysetSqls)} ORDER BY ${order} LIMIT ${limit}`, c.args)).rows;
    } else if (budget > 0) {
      // The walk examines every row of its stretch in order: a full page from it is the page.
      const walk = `SELECT * FROM audit_events ${keyset ? `WHERE ${keyset}` : ''} ORDER BY ${order} LIMIT $${c.args.length + 1}`;
      const walked = await this.db.query<Row>(`SELECT seq, ${column ?? 'NULL'} AS k, document FROM (${walk}) AS walk ${c.where()} ORDER BY ${order} LIMIT ${limit}`, [
        ...c.args,
        budget,
      ]);
      if (walked.rows.length > size) rows = walked.rows;
    }
    if (rows === null) {
      // `+ 0` and `|| ''` keep an index from offering the order, so the filters' indexes drive and the matches are sorted.
      const steered = column ? `${column} || '' ${direction}, seq + 0 ${direction}` : `seq + 0 ${direction}`;
      const pick = `SELECT seq FROM audit_events ${c.where(...keysetSqls)} ORDER BY ${steered} LIMIT ${limit}`;
      rows = (await this.db.query<Row>(`${select} WHERE seq IN (${pick}) ORDER BY ${order}`, c.args)).rows;
    }

    return auditPage(rows, size, remaining, (row) => row.document);
  }

  async findByEventId(eventId: string): Promise<EpcisObjectEvent | null> {
    const { rows } = await this.db.query<{ document: EpcisObjectEvent }>('SELECT document FROM audit_events WHERE event_id = $1', [eventId]);
    return rows[0]?.document ?? null;
  }

  async positionOf(eventId: string): Promise<number | null> {
    const { rows } = await this.db.query<{ seq: string }>('SELECT seq FROM audit_events WHERE event_id = $1', [eventId]);
    return rows[0] ? Number(rows[0].seq) : null;
  }

  async eventTypes(): Promise<readonly string[]> {
    // One indexed probe per standard type, in one round trip, rather than a DISTINCT over the whole log.
    const { rows } = await this.db.query<{ type: string }>(
      'SELECT type FROM unnest($1::text[]) AS type WHERE EXISTS (SELECT 1 FROM audit_events WHERE event_type = type)',
      [EPCIS_EVENT_TYPES],
    );
    return rows.map((row) => row.type).sort();
  }

  /** The binding's maxEventCount: counts no further than one past the limit. */
  private async refuseIfMoreThan(filter: EventFilter, max: number): Promise<void> {
    const c = conditionsOf(filter);
    const cap = c.param(max + 1);
    const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM audit_events ${c.where()} LIMIT ${cap}) AS matches`, c.args);
    if ((rows[0]?.n ?? 0) > max) {
      throw new DomainError(ErrorCode.QueryTooLarge, `More than maxEventCount (${max}) events match; narrow the query or page it without maxEventCount`);
    }
  }

  async distinctValues(field: VocabularyField, after: string | null, limit: number): Promise<readonly string[]> {
    // A loose index scan in one round trip: each step seeks the next value past the last one, so a page of values
    // costs a probe per value, never a walk over the events that share one (PostgreSQL has no skip scan).
    const column = VOCABULARY_COLUMNS[field];
    const { rows } = await this.db.query<{ v: string }>(
      `WITH RECURSIVE vocabulary(v, n) AS (
         (SELECT ${column}, 1 FROM audit_events WHERE ${column} > $1 ORDER BY ${column} LIMIT 1)
         UNION ALL
         SELECT (SELECT ${column} FROM audit_events WHERE ${column} > vocabulary.v ORDER BY ${column} LIMIT 1), n + 1
         FROM vocabulary WHERE vocabulary.v IS NOT NULL AND n < $2
       ) SELECT v FROM vocabulary WHERE v IS NOT NULL`,
      [after ?? '', limit],
    );
    return rows.map((row) => row.v);
  }

  async holdsValue(field: VocabularyField, value: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM audit_events WHERE ${VOCABULARY_COLUMNS[field]} = $1 LIMIT 1`, [value]);
    return rows.length > 0;
  }
}
