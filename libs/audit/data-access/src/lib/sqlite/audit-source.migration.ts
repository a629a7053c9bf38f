import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The embedded audit file's position in the event store: the last store
 * position whose events are in the log, committed in the same transaction
 * as their records, so the log resumes exactly where it stopped.
 */
export class AuditSource1763700000700 implements MigrationInterface {
  readonly name = 'AuditSource1763700000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE audit_source (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL)');
    await q.query('INSERT INTO audit_source (id, position) VALUES (1, 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_source');
  }
}
