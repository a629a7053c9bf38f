import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The PostgreSQL twin of AuditTree1763700000900: the hash of every complete
 * subtree of the records' Merkle tree (level 0: the leaf hashes), append-only
 * like the log, and each checkpoint's signed note. The tree of records
 * already present is built by the writer under the chain lock
 * (backfillPostgresAuditTree), not here.
 */
export class PostgresAuditTree1763700001360 implements MigrationInterface {
  readonly name = 'PostgresAuditTree1763700001360';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_tree (
      level smallint NOT NULL CHECK (level >= 0),
      idx bigint NOT NULL CHECK (idx >= 0),
      hash bytea NOT NULL CHECK (length(hash) = 32),
      PRIMARY KEY (level, idx)
    )`);
    await q.query(`CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_tree
      FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change('the audit tree is append-only')`);
    await q.query('ALTER TABLE audit_checkpoints ADD COLUMN note text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE audit_checkpoints DROP COLUMN note');
    await q.query('DROP TABLE audit_tree');
  }
}
