import { frontierNodes, leafHash, recordBytes, TreeFrontier,type TreeNode } from '@m2m-trust/audit-domain';
import type { PgExecutor } from '@m2m-trust/shared-postgres';

import type { TreeRows } from '../audit-tree-rows';

/** One round trip for a batch's tree rows. */
const INSERT_TREE = 'INSERT INTO audit_tree (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])';

const READ_NODES = `SELECT t.hash FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS n(level, idx, i)
  LEFT JOIN audit_tree t ON t.level = n.level AND t.idx = n.idx ORDER BY n.i`;

const BACKFILL_CHUNK = 5_000;

export async function readTreeHashes(db: PgExecutor, nodes: readonly TreeNode[]): Promise<(Buffer | undefined)[]> {
  if (nodes.length === 0) return [];
  const { rows } = await db.query<{ hash: Buffer | null }>(READ_NODES, [nodes.map((n) => n.level), nodes.map((n) => n.index)]);
  return rows.map((row) => row.hash ?? undefined);
}

export async function readTreeSize(db: PgExecutor): Promise<number> {
  const { rows } = await db.query<{ size: string | null }>('SELECT max(idx) + 1 AS size FROM audit_tree WHERE level = 0');
  return Number(rows[0]?.size ?? 0);
}

export async function insertTreeRows(db: PgExecutor, tree: TreeRows): Promise<void> {
  if (tree.levels.length > 0) await db.query(INSERT_TREE, [tree.levels, tree.indexes, tree.hashes]);
}

/** The frontier of the stored tree of `size` leaves. */
export async function restorePostgresFrontier(db: PgExecutor, size: number): Promise<TreeFrontier> {
  const hashes = await readTreeHashes(db, size === 0 ? [] : frontierNodes(size));
  return TreeFrontier.restore(size, (level, index) => {
    const hash = hashes[frontierNodes(size).findIndex((node) => node.level === level && node.index === index)];
    if (!hash) throw new Error(`the audit tree has no hash at level ${level}, index ${index}`);
    return hash;
  });
}

/**
 * Builds the tree of records written before it (from the stored tree's size
 * to `head`), in the caller's transaction under the chain lock; returns the
 * frontier at `head`. Nothing to do, and one query, once the tree is whole.
 */
export async function backfillPostgresAuditTree(tx: PgExecutor, head: number): Promise<TreeFrontier> {
  const frontier = await restorePostgresFrontier(tx, await readTreeSize(tx));
  while (frontier.size < head) {
    const { rows } = await tx.query<{ seq: string; prev_hash: string; document: object }>(
      'SELECT seq, prev_hash, document FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [frontier.size, BACKFILL_CHUNK],
    );
    const tree: TreeRows = { levels: [], indexes: [], hashes: [] };
    for (const row of rows) {
      if (Number(row.seq) !== frontier.size + 1) throw new Error(`audit_events has a gap before seq ${row.seq}: refusing to build the tree over it`);
      frontier.append(leafHash(recordBytes(Number(row.seq), row.prev_hash, row.document)), (level, index, hash) => {
        tree.levels.push(level);
        tree.indexes.push(index);
        tree.hashes.push(hash);
      });
    }
    await insertTreeRows(tx, tree);
  }
  return frontier;
}
