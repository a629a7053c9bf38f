import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The access-token signing ring every challenge-service instance shares (docs/tokens.md). */
export class PostgresTokenSigningKeys1763700001260 implements MigrationInterface {
  readonly name = 'PostgresTokenSigningKeys1763700001260';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE token_signing_keys (
      generation integer PRIMARY KEY CHECK (generation > 0),
      kid text NOT NULL UNIQUE,
      private_key text NOT NULL,
      created_at timestamptz NOT NULL,
      activates_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE token_signing_keys');
  }
}
