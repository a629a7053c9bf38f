import { GENESIS_HASH, recordHash } from '@m2m-trust/audit-domain';

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chains the audit log: every record carries the hash of its predecessor and
 * its own, and signed checkpoints of the chain head are kept. Records written
 * before this migration are chained here, in sequence order.
 */
export class AuditChain1763700000400 implements MigrationInterface {
  readonly name = 'AuditChain1763700000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE audit_events ADD COLUMN prev_hash TEXT');
    await q.query('ALTER TABLE audit_events ADD COLUMN hash TEXT');
    const rows = (await q.query('SELECT seq, document FROM audit_events ORDER BY seq')) as { seq: number; document: string }[];
    if (rows.length > 0) {
      // The log is append-only; the chain's own backfill is the one update it ever gets.
      await q.query('DROP TRIGGER audit_events_no_update');
      let prevHash = GENESIS_HASH;
      let expected = 1;
      for (const row of rows) {
        if (row.seq !== expected) throw new Error(`audit_events has a gap before seq ${row.seq}: refusing to chain over it`);
        const hash = recordHash(row.seq, prevHash, JSON.parse(row.document));
        await q.query('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?', [prevHash, hash, row.seq]);
        prevHash = hash;
        expected++;
      }
      await q.query(`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`);
    }
    await q.query(`CREATE TABLE audit_checkpoints (
      seq INTEGER PRIMARY KEY,
      head TEXT NOT NULL,
      signed_at TEXT NOT NULL,
      kid TEXT NOT NULL,
      jws TEXT NOT NULL
    )`);
    await q.query(`CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END`);
    await q.query(`CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_checkpoints');
  }
}
