import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL the integration suites run against: the local one that
 * `npm run infra:up` (and `npm test`) starts, or M2M_TEST_DATABASE_URL.
 */
export const TEST_DATABASE_URL = process.env['M2M_TEST_DATABASE_URL'] ?? 'postgres://m2m:m2m@127.0.0.1:55432/m2m';

/** A schema name no other suite or run uses. */
export const uniqueSchema = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Drops a suite's schema and everything in it. */
export async function dropSchema(schema: string, url = TEST_DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
