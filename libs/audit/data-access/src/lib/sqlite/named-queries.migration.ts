import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Named EPCIS queries (POST /epcis/queries). Unlike the audit log they can
 * be deleted: a query is an auditor's saved view, not evidence.
 */
export class NamedQueries1763700000520 implements MigrationInterface {
  readonly name = 'NamedQueries1763700000520';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE epcis_named_queries (
      name TEXT PRIMARY KEY,
      query TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) WITHOUT ROWID`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE epcis_named_queries');
  }
}
