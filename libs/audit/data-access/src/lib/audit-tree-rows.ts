import { type ChainTail, type EpcisObjectEvent, nextChainEntry, type TreeFrontier } from '@m2m-trust/audit-domain';

import type { IndexedColumns } from './audit-chain.store';
import { type AuditRecordRow, auditRecordRow } from './audit-record-row';

/** Complete subtrees a batch of records completed: levels, indexes and their 32-byte hashes end to end. */
export interface TreeRows {
  readonly levels: number[];
  readonly indexes: number[];
  readonly hashes: Buffer[];
}

/**
 * The fold every writer of the log runs: each record takes the next link of
 * the chain and the next leaf of the tree, from one canonicalisation. Mutates
 * `frontier`; returns the new tail, the record rows and the tree rows.
 */
export function foldRecords(
  tail: ChainTail,
  frontier: TreeFrontier,
  records: Iterable<readonly [sourceEventId: string, event: EpcisObjectEvent]>,
): { tail: ChainTail; rows: AuditRecordRow[]; tree: TreeRows } {
  const rows: AuditRecordRow[] = [];
  const tree: TreeRows = { levels: [], indexes: [], hashes: [] };
  const completed = (level: number, index: number, hash: Buffer): void => {
    tree.levels.push(level);
    tree.indexes.push(index);
    tree.hashes.push(hash);
  };
  for (const [sourceEventId, event] of records) {
    const { link, leaf } = nextChainEntry(tail, event);
    if (frontier.size !== link.seq - 1) throw new Error(`the audit tree has ${frontier.size} leaves where the chain has ${link.seq - 1} records`);
    frontier.append(leaf, completed);
    rows.push(auditRecordRow(link, sourceEventId, event));
    tail = link;
  }
  return { tail, rows, tree };
}

/** The query columns of a record as its stored event gives them, in {@link IndexedColumns} order. */
export function indexedColumnsOf(event: Readonly<Record<string, unknown>>): IndexedColumns {
  const row = auditRecordRow({ seq: 0, prevHash: '', hash: '' }, '', event as unknown as EpcisObjectEvent);
  return [row[3], ...row.slice(5, 18)].map((value) => (value === undefined ? null : (value as string | null)));
}

/** The names of the columns in {@link IndexedColumns} order. */
export const INDEXED_COLUMN_NAMES = [
  'event_id',
  'event_type',
  'event_time',
  'record_time',
  'action',
  'biz_step',
  'disposition',
  'epc',
  'reason',
  'challenge_id',
  'key_thumbprint',
  'actor',
  'request_id',
  'method',
] as const;

/** The SELECT list of those columns. */
export const INDEXED_COLUMNS_SQL = INDEXED_COLUMN_NAMES.join(', ');

/** The first query column whose stored value is not what the record's event gives, or null. */
export function indexMismatch(event: Readonly<Record<string, unknown>>, stored: IndexedColumns): string | null {
  const derived = indexedColumnsOf(event);
  const i = derived.findIndex((value, column) => value !== (stored[column] ?? null));
  return i < 0 ? null : (INDEXED_COLUMN_NAMES[i] as string);
}
