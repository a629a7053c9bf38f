import { accessPostgresMigrations } from '@m2m-trust/access-data-access/postgres';
import { auditPostgresMigrations } from '@m2m-trust/audit-data-access/postgres';
import { challengePostgresMigrations } from '@m2m-trust/challenge-data-access/postgres';
import { registryPostgresMigrations } from '@m2m-trust/registry-data-access/postgres';
import { loadConfig, Metrics, resolveAdminApiKey } from '@m2m-trust/shared-platform';
import { eventStorePostgresMigrations, openPostgresDatabase, type PostgresMigration } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';
import { RateLimits1763700003000 } from '@m2m-trust/shared-rate-limit';
import { tokenPostgresMigrations } from '@m2m-trust/token-data-access/postgres';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Database from 'better-sqlite3';
import { Client } from 'pg';

import { AppModule } from './app.module';

/**
 * A database decides what to migrate by the names it has recorded: these are
 * the names databases made by earlier releases hold. A migration renamed, or
 * left out of a store's list, makes a database of an earlier release run DDL
 * again (and fail on its existing tables) or miss a table: both fail here.
 */
const RECORDED = {
  embeddedMain: [
    'EventStore1763700000000',
    'Devices1763700000100',
    'DeviceCredentials1763700000200',
    'TokenSigningKeys1763700000260',
    'NamedQueries1763700000520',
    'DeviceLockouts1763700000600',
    'ApiKeys1763700000610',
    'QuerySubscriptions1763700000800',
    'ScheduledSubscriptions1763700000810',
    'DeviceLockoutDetails1763700004100',
  ],
  embeddedAudit: ['AuditLog1763700000300', 'AuditChain1763700000400', 'AuditQueryIndexes1763700000510', 'AuditSource1763700000700', 'AuditTree1763700000900'],
  registryService: ['PostgresEventStore1763700001000', 'PostgresDevices1763700001100', 'PostgresApiKeys1763700001700'],
  challengeService: ['PostgresEventStore1763700001000', 'PostgresDeviceCredentials1763700001200', 'PostgresTokenSigningKeys1763700001260', 'PostgresDeviceLockouts1763700001600', 'PostgresDeviceLockoutDetails1763700004110'],
  auditService: ['PostgresAuditLog1763700001300', 'PostgresAuditQueryIndexes1763700001310', 'PostgresNamedQueries1763700001320', 'PostgresQuerySubscriptions1763700001340', 'PostgresScheduledSubscriptions1763700001350', 'PostgresAuditTree1763700001360'],
  rateLimits: ['RateLimits1763700003000'],
};

interface MigrationRow {
  readonly id: number;
  readonly timestamp: number | string;
  readonly name: string;
}

function sqliteMigrations(file: string): MigrationRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, timestamp, name FROM migrations ORDER BY id').all() as MigrationRow[];
  } finally {
    db.close();
  }
}

describe('the embedded server\'s migrations (real SQLite)', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function startAndStop(): Promise<void> {
    const config = loadConfig({ M2M_DATA_DIR: dir, M2M_ADMIN_API_KEY: 'migrations-int-spec-admin-key-0123456789', M2M_LOG_LEVEL: 'silent' });
    const module = AppModule.forRoot({ config, adminApiKey: resolveAdminApiKey(config), metrics: new Metrics() });
    const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.close();
  }

  it('records the names earlier releases recorded, and a restart on the same files runs none again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-migrations-'));
    await startAndStop();
    const main = sqliteMigrations(join(dir, 'm2m-trust.sqlite'));
    const audit = sqliteMigrations(join(dir, 'audit.sqlite'));
    expect(main.map((row) => row.name)).toEqual(RECORDED.embeddedMain);
    expect(audit.map((row) => row.name)).toEqual(RECORDED.embeddedAudit);

    await startAndStop();
    expect(sqliteMigrations(join(dir, 'm2m-trust.sqlite'))).toEqual(main);
    expect(sqliteMigrations(join(dir, 'audit.sqlite'))).toEqual(audit);
  });
});

describe('the services\' migrations (real PostgreSQL)', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  async function recorded(schema: string): Promise<MigrationRow[]> {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      return (await client.query<MigrationRow>(`SELECT id, timestamp, name FROM ${schema}.schema_migrations ORDER BY id`)).rows;
    } finally {
      await client.end();
    }
  }

  async function migrate(schema: string, migrations: readonly PostgresMigration[]): Promise<void> {
    const database = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations, applicationName: 'migrations-int-spec', poolSize: 1 });
    await database.close();
  }

  // Each service's schema as it composes it; the rate limits share the challenge service's schema (and a gateway's).
  it.each([
    ['registry service', [...eventStorePostgresMigrations, ...registryPostgresMigrations, ...accessPostgresMigrations], RECORDED.registryService],
    ['challenge service', [...eventStorePostgresMigrations, ...challengePostgresMigrations, ...tokenPostgresMigrations], RECORDED.challengeService],
    ['audit service', auditPostgresMigrations, RECORDED.auditService],
    ['rate-limit table', [RateLimits1763700003000], RECORDED.rateLimits],
  ])('the %s records the names earlier releases recorded, and opening the schema again runs none', async (_, migrations, names) => {
    const schema = uniqueSchema('migrations');
    schemas.push(schema);
    await migrate(schema, migrations);
    const rows = await recorded(schema);
    expect(rows.map((row) => row.name)).toEqual(names);

    await migrate(schema, migrations);
    expect(await recorded(schema)).toEqual(rows);
  });
});
