import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The API keys in the registry service's schema: only the SHA-256 of each secret, never the secret. */
export class PostgresApiKeys1763700001700 implements MigrationInterface {
  readonly name = 'PostgresApiKeys1763700001700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE api_keys (
      api_key_id text PRIMARY KEY,
      name text NOT NULL,
      scopes json NOT NULL,
      secret_hash text NOT NULL CHECK (length(secret_hash) = 64),
      created_at text NOT NULL,
      expires_at text,
      revoked_at text,
      revocation_reason text,
      version integer NOT NULL,
      created_position bigint NOT NULL UNIQUE
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
  }
}
