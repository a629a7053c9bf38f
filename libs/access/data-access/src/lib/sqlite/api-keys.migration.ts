import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The API keys, kept inline with the event store: only the SHA-256 of each secret, never the secret. */
export class ApiKeys1763700000610 implements MigrationInterface {
  readonly name = 'ApiKeys1763700000610';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE api_keys (
      api_key_id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      scopes TEXT NOT NULL,
      secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64),
      created_at TEXT NOT NULL,
      expires_at TEXT,
      revoked_at TEXT,
      revocation_reason TEXT,
      version INTEGER NOT NULL,
      created_position INTEGER NOT NULL UNIQUE
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
  }
}
