import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Devices1763700000100 implements MigrationInterface {
  readonly name = 'Devices1763700000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE devices (
      device_id TEXT PRIMARY KEY,
      public_key TEXT NOT NULL UNIQUE,
      key_thumbprint TEXT NOT NULL,
      label TEXT NOT NULL,
      metadata TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
      created_at TEXT NOT NULL,
      revoked_at TEXT,
      revocation_reason TEXT,
      version INTEGER NOT NULL,
      registered_position INTEGER NOT NULL UNIQUE
    )`);
    await q.query('CREATE INDEX devices_status_position ON devices (status, registered_position)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE devices');
  }
}
