import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The challenge side's own copy of what it needs of each device: key and standing. */
export class DeviceCredentials1763700000200 implements MigrationInterface {
  readonly name = 'DeviceCredentials1763700000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE device_credentials (
      device_id TEXT PRIMARY KEY,
      public_key TEXT NOT NULL,
      key_thumbprint TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
      version INTEGER NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE device_credentials');
  }
}
