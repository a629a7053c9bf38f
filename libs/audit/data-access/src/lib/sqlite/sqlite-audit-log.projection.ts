import { AUDITED_EVENT_TYPES, EMPTY_CHAIN_TAIL, nextChainLink, toEpcisEvent } from '@m2m-trust/audit-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access/sqlite';
import type { RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import { auditRecordRow } from '../audit-record-row';
import { foldRecords } from '../audit-tree-rows';
import { restoreSqliteFrontier } from './sqlite-audit-tree.backfill';
import { INSERT_AUDIT_RECORD_SQL, INSERT_TREE_NODE_SQL } from './sqlite-audit-writer.thread';

/**
 * Writes each audited domain event's EPCIS record in the transaction that
 * appends the domain event, in the same file: no write without its audit
 * record, and no record of a write that did not happen. Idempotent by source
 * event id. The server writes its log behind the store instead
 * (SqliteAuditLogFollower: the same records, the same chain); this keeps a log
 * synchronously where one connection does everything (test and benchmark
 * fixtures filling a log).
 */
export class SqliteAuditLogProjection implements SqliteInlineProjection {
  readonly name = 'audit.log';
  readonly handles = AUDITED_EVENT_TYPES;
  private readonly insert;
  private readonly head;
  private readonly seen;
  private readonly insertNode;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(INSERT_AUDIT_RECORD_SQL);
    // A database of a layout from before the tree (fixtures of older releases) gets records only: the start-up backfill builds their tree.
    const tree = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_tree'").get();
    this.insertNode = tree ? db.prepare(INSERT_TREE_NODE_SQL) : null;
    this.head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    this.seen = db.prepare<[string], { seq: number }>('SELECT seq FROM audit_events WHERE source_event_id = ?');
  }

  apply(event: RecordedEvent): void {
    const e = toEpcisEvent(event);
    if (!e || this.seen.get(event.eventId)) return;
    // Read inside the append's transaction (the single writer): the chain head
    // as committed plus this batch's earlier records, never a stale cache.
    const tail = this.head.get() ?? EMPTY_CHAIN_TAIL;
    if (!this.insertNode) {
      this.insert.run(...auditRecordRow(nextChainLink(tail, e), event.eventId, e));
      return;
    }
    const insertNode = this.insertNode;
    const { rows, tree } = foldRecords(tail, restoreSqliteFrontier(this.db, tail.seq), [[event.eventId, e]]);
    this.insert.run(...(rows[0] as NonNullable<(typeof rows)[0]>));
    tree.levels.forEach((level, i) => insertNode.run(level, tree.indexes[i], tree.hashes[i]));
  }
}
