import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Merkle tree over the audit records (RFC 9162): the hash of every
 * complete subtree, keyed by (level, index), level 0 the leaf hashes; about
 * two rows a record, written in the transaction that writes the records, and
 * append-only like them. Checkpoints gain their signed note (C2SP
 * tlog-checkpoint) beside the JWS. The tree of records already present is
 * built at start-up (backfillAuditTree), resumably, not here: a migration is
 * one transaction, and a large log would hold it for minutes.
 */
export class AuditTree1763700000900 implements MigrationInterface {
  readonly name = 'AuditTree1763700000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE audit_tree (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID');
    await q.query(`CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END`);
    await q.query(`CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END`);
    await q.query('ALTER TABLE audit_checkpoints ADD COLUMN note TEXT');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_tree');
  }
}
