import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The EPCIS audit log. Append-only: the database itself refuses UPDATE and
 * DELETE. Filterable fields are columns; the document is stored as emitted.
 */
export class AuditLog1763700000300 implements MigrationInterface {
  readonly name = 'AuditLog1763700000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id TEXT NOT NULL UNIQUE,
      source_event_id TEXT NOT NULL UNIQUE,
      event_type TEXT NOT NULL,
      event_time TEXT NOT NULL,
      record_time TEXT NOT NULL,
      action TEXT NOT NULL,
      biz_step TEXT,
      disposition TEXT,
      epc TEXT NOT NULL,
      reason TEXT,
      challenge_id TEXT,
      key_thumbprint TEXT,
      actor TEXT,
      request_id TEXT,
      method TEXT,
      document TEXT NOT NULL
    )`);
    await q.query('CREATE INDEX audit_events_epc ON audit_events (epc, seq)');
    await q.query('CREATE INDEX audit_events_biz_step ON audit_events (biz_step, seq)');
    await q.query('CREATE INDEX audit_events_event_time ON audit_events (event_time)');
    await q.query('CREATE INDEX audit_events_record_time ON audit_events (record_time)');
    await q.query(`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`);
    await q.query(`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_events');
  }
}
