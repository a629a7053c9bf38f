import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The challenge service's own copy of what it needs of each device, fed from the registry's topic. */
export class PostgresDeviceCredentials1763700001200 implements MigrationInterface {
  readonly name = 'PostgresDeviceCredentials1763700001200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE device_credentials (
      device_id text PRIMARY KEY,
      public_key text NOT NULL,
      key_thumbprint text NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'revoked')),
      version integer NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE device_credentials');
  }
}
