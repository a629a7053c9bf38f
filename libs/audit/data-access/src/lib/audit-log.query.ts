import { type EpcisObjectEvent, type EventFilter, type EventQuery, M2M_EXTENSION_FIELDS, type M2mExtensionField, type OrderField, type PageCursor } from '@m2m-trust/audit-domain';

import type { AuditPage } from './audit-log.repository';

/**
 * What both audit log readers (SQLite and PostgreSQL) share: which columns a
 * query's filters and order read, and how the rows they fetch become a page.
 * The SQL around it is each store's own.
 */

/** Extension fields that are also columns, so auditors can filter on them with an index-friendly query. */
export const EXTENSION_COLUMNS = {
  reason: 'reason',
  challengeId: 'challenge_id',
  keyThumbprint: 'key_thumbprint',
  actor: 'actor',
  requestId: 'request_id',
  method: 'method',
} as const;

const ORDER_COLUMNS = { eventTime: 'event_time', recordTime: 'record_time' } as const;

/**
 * An extension field without a column of its own, read from the stored
 * document: each store's JSON accessor (SQLite's json_extract, PostgreSQL's
 * ->>). No index serves it, so a filter on one alone reads the log in order
 * until a page is full.
 */
export type DocumentField = (name: M2mExtensionField) => string;

/** A filter's extension field as SQL: its column, or its value in the document. */
function fieldExpression(name: string, documentField: DocumentField): string {
  const column = EXTENSION_COLUMNS[name as keyof typeof EXTENSION_COLUMNS];
  if (column) return column;
  // The domain parser admits only these names; anything else must not reach SQL.
  if (!(M2M_EXTENSION_FIELDS as readonly string[]).includes(name)) throw new Error(`no extension field ${name}`);
  return documentField(name as M2mExtensionField);
}

/**
 * The key a query orders by: a time column, or an extension field whose
 * absence sorts as the empty string (the binding lets events that lack the
 * field stand anywhere), `collate` making string order the binding's
 * code-point order.
 */
export function orderKey(orderBy: OrderField | undefined, documentField: DocumentField, collate = ''): string | null {
  if (orderBy === undefined) return null;
  if (orderBy === 'eventTime' || orderBy === 'recordTime') return ORDER_COLUMNS[orderBy];
  return `COALESCE(${fieldExpression(orderBy.slice('m2m:'.length), documentField)}, '')${collate}`;
}

/** Whether a query can select no event at all: nothing to ask a store. */
export const selectsNothing = (filter: EventFilter): boolean => filter.unsatisfiable !== undefined && filter.unsatisfiable.length > 0;

/** A filter's `EXISTS_` conditions: the fields that must be present, as SQL expressions to test for NOT NULL. */
export function presenceFilters(filter: EventFilter, documentField: DocumentField): string[] {
  return (filter.present ?? []).map((name) => fieldExpression(name, documentField));
}

/** A filter's "column is one of values" conditions, in the order the readers write them. */
export function equalityFilters(filter: EventFilter, documentField: DocumentField): (readonly [column: string, values: readonly string[]])[] {
  const out: (readonly [string, readonly string[]])[] = [];
  const anyOf = (column: string, values: readonly string[] | undefined): void => {
    if (values) out.push([column, values]);
  };
  anyOf('event_type', filter.eventTypes);
  anyOf('action', filter.actions);
  anyOf('biz_step', filter.bizSteps);
  anyOf('disposition', filter.dispositions);
  anyOf('epc', filter.epcs);
  anyOf('event_id', filter.eventIds);
  for (const [name, values] of Object.entries(filter.extensions ?? {})) anyOf(fieldExpression(name, documentField), values);
  return out;
}

/** A filter's time bounds, as "column op value" conditions. */
export function rangeFilters(filter: EventFilter): (readonly [column: string, op: '>=' | '<', value: string])[] {
  const out: (readonly [string, '>=' | '<', string])[] = [];
  const range = (column: string, op: '>=' | '<', value: string | undefined): void => {
    if (value !== undefined) out.push([column, op, value]);
  };
  range('event_time', '>=', filter.geEventTime);
  range('event_time', '<', filter.ltEventTime);
  range('record_time', '>=', filter.geRecordTime);
  range('record_time', '<', filter.ltRecordTime);
  return out;
}

/** How many events a query's page holds: the page size, within what is left of a count limit carried from page to page. */
export function pageSize(query: EventQuery): { readonly size: number; readonly remaining: number | undefined } {
  const remaining = query.after?.remaining ?? query.eventCountLimit ?? query.maxEventCount;
  return { size: remaining === undefined ? query.perPage : Math.min(query.perPage, remaining), remaining };
}

/** A row a reader fetched for a page: its sequence (PostgreSQL's bigint comes as text), order key and event. */
export interface PageRow {
  readonly seq: number | string;
  readonly k: string | null;
}

/** The page of up to `size + 1` fetched rows: the first `size`, and a cursor after them when the extra row says more follow. */
export function auditPage<R extends PageRow>(rows: readonly R[], size: number, remaining: number | undefined, eventOf: (row: R) => EpcisObjectEvent): AuditPage {
  const page = rows.slice(0, size);
  const left = remaining === undefined ? undefined : remaining - page.length;
  const last = page[page.length - 1];
  const more = rows.length > size && left !== 0 && last !== undefined;
  return {
    events: page.map(eventOf),
    nextAfter: more ? cursorAfter(last, left) : null,
  };
}

function cursorAfter(row: PageRow, remaining: number | undefined): PageCursor {
  return { seq: Number(row.seq), ...(row.k !== null ? { key: row.k } : {}), ...(remaining !== undefined ? { remaining } : {}) };
}
