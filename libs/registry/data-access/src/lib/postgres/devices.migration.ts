import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PostgresDevices1763700001100 implements MigrationInterface {
  readonly name = 'PostgresDevices1763700001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE devices (
      device_id text PRIMARY KEY,
      public_key text NOT NULL CONSTRAINT devices_public_key_unique UNIQUE,
      key_thumbprint text NOT NULL,
      label text NOT NULL,
      metadata json NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'revoked')),
      created_at text NOT NULL,
      revoked_at text,
      revocation_reason text,
      version integer NOT NULL,
      registered_position bigint NOT NULL UNIQUE
    )`);
    await q.query('CREATE INDEX devices_status_position ON devices (status, registered_position)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE devices');
  }
}
