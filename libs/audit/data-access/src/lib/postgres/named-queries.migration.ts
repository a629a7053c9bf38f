import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Named EPCIS queries on PostgreSQL. They can be deleted (a saved view, not
 * evidence). Names sort byte by byte ("C"), as SQLite's list pages them; the
 * query is `json` so it comes back with its keys in the order it was saved.
 */
export class PostgresNamedQueries1763700001320 implements MigrationInterface {
  readonly name = 'PostgresNamedQueries1763700001320';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE epcis_named_queries (
      name text COLLATE "C" PRIMARY KEY,
      query json NOT NULL,
      created_at text NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE epcis_named_queries');
  }
}
