import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The access-token signing ring (docs/tokens.md); private keys as PKCS#8 PEM. */
export class TokenSigningKeys1763700000260 implements MigrationInterface {
  readonly name = 'TokenSigningKeys1763700000260';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE token_signing_keys (
      generation INTEGER PRIMARY KEY CHECK (generation > 0),
      kid TEXT NOT NULL UNIQUE,
      private_key TEXT NOT NULL,
      created_at TEXT NOT NULL,
      activates_at TEXT NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE token_signing_keys');
  }
}
