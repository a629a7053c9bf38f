import { leafHash, recordBytes, TreeFrontier } from '@m2m-trust/audit-domain';

import type Database from 'better-sqlite3';

import { INSERT_TREE_NODE_SQL } from './sqlite-audit-writer.thread';

/** Records folded into the tree per transaction while backfilling. */
const BACKFILL_CHUNK = 10_000;

/** The frontier of the stored tree, which must have exactly `size` leaves (the chain head's seq). */
export function restoreSqliteFrontier(db: Database.Database, size: number): TreeFrontier {
  const node = db.prepare<[number, number], { hash: Buffer }>('SELECT hash FROM audit_tree WHERE level = ? AND idx = ?');
  const leaves = db.prepare<[], { size: number | null }>('SELECT max(idx) + 1 AS size FROM audit_tree WHERE level = 0').get()?.size ?? 0;
  if (leaves !== size) throw new Error(`the audit tree has ${leaves} leaves where the chain has ${size} records`);
  return TreeFrontier.restore(size, (level, index) => {
    const row = node.get(level, index);
    if (!row) throw new Error(`the audit tree has no hash at level ${level}, index ${index}`);
    return row.hash;
  });
}

/**
 * Builds the tree of records written before it existed (or, after a crash,
 * the rest of it): from the stored tree's size to the chain head, a chunk of
 * records a transaction, so it resumes where it stopped and does nothing once
 * the tree is whole. Returns how many leaves it added.
 */
export function backfillSqliteAuditTree(db: Database.Database): number {
  const head = db.prepare<[], { seq: number }>('SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1').get()?.seq ?? 0;
  const start = db.prepare<[], { size: number | null }>('SELECT max(idx) + 1 AS size FROM audit_tree WHERE level = 0').get()?.size ?? 0;
  if (start >= head) return 0;
  const records = db.prepare<[number, number], { seq: number; prev_hash: string; document: string }>(
    'SELECT seq, prev_hash, document FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  const insert = db.prepare(INSERT_TREE_NODE_SQL);
  const frontier = restoreSqliteFrontier(db, start);
  const chunk = db.transaction(() => {
    for (const row of records.all(frontier.size, BACKFILL_CHUNK)) {
      if (row.seq !== frontier.size + 1) throw new Error(`audit_events has a gap before seq ${row.seq}: refusing to build the tree over it`);
      frontier.append(leafHash(recordBytes(row.seq, row.prev_hash, JSON.parse(row.document) as object)), (level, index, hash) => insert.run(level, index, hash));
    }
  });
  while (frontier.size < head) chunk.immediate();
  return head - start;
}
