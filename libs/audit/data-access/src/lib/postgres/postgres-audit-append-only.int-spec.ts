import { openPostgresDatabase, type PostgresDatabase } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

import { eventSource } from '../audit-log.test-events';
import { auditPostgresMigrations } from './audit-postgres.providers';
import { PostgresAuditChainStore } from './postgres-audit-chain.store';
import { PostgresAuditLogReader } from './postgres-audit-log.reader';
import { PostgresAuditLogWriter } from './postgres-audit-log.writer';
import { grantAuditServiceRole } from './postgres-audit-service-role';
import { PostgresNamedQueryRepository } from './postgres-named-query.repository';

const PERMISSION_DENIED = '42501';

const CHANGES = {
  UPDATE: "UPDATE audit_events SET disposition = 'conformant'",
  DELETE: 'DELETE FROM audit_events WHERE seq = 1',
  TRUNCATE: 'TRUNCATE audit_events',
} as const;

/** The test database's URL with another user. */
function urlAs(user: string, password: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.username = user;
  url.password = password;
  return url.toString();
}

describe('the audit log on PostgreSQL is append-only (real PostgreSQL)', () => {
  const schema = uniqueSchema('audit_append_only');
  // Roles belong to the cluster, not the schema: unique per run, dropped at the end.
  const role = `audit_service_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const missingRole = `audit_nologin_${randomBytes(4).toString('hex')}`;
  let owner: PostgresDatabase;
  let service: PostgresDatabase;
  const writer = new PostgresAuditLogWriter();
  const next = eventSource(9, 'append-only');

  beforeAll(async () => {
    owner = await openPostgresDatabase({ url: TEST_DATABASE_URL, schema, migrations: auditPostgresMigrations, applicationName: 'audit-append-only-int-spec' });
    await owner.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await grantAuditServiceRole(owner.pool, { schema, role });
    // As the audit service is configured: migrations as the schema owner, everything else as the granted role.
    service = await openPostgresDatabase({
      url: urlAs(role, password),
      migrationUrl: TEST_DATABASE_URL,
      schema,
      migrations: auditPostgresMigrations,
      applicationName: 'audit-service-int-spec',
    });
    await service.transaction((tx) => writer.applyBatch(tx, Array.from({ length: 10 }, () => next())));
  });

  afterAll(async () => {
    await service?.close();
    await owner?.close();
    // The roles' only privileges are on the schema and its tables: once it is dropped, so can they be.
    await dropSchema(schema);
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      for (const name of [role, missingRole]) await client.query(`DROP ROLE IF EXISTS ${name}`);
    } finally {
      await client.end();
    }
  });

  it.each(Object.entries(CHANGES))('refuses %s on audit_events by trigger, even for the owner', async (operation, sql) => {
    await expect(owner.pool.query(sql)).rejects.toMatchObject({ message: `the audit log is append-only: ${operation} refused`, code: '23001' });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the checkpoints by trigger, even for the owner', async () => {
    await new PostgresAuditChainStore(owner.pool).saveCheckpoint({ seq: 1, head: 'h', signedAt: '2026-01-01T00:00:00.000Z', kid: 'k', jws: 'j', note: null });
    for (const sql of ["UPDATE audit_checkpoints SET jws = 'forged'", 'DELETE FROM audit_checkpoints', 'TRUNCATE audit_checkpoints']) {
      await expect(owner.pool.query(sql)).rejects.toThrow(/checkpoints are append-only/);
    }
  });

  it('lets the service role do its work: append, read, checkpoint, save and delete named queries', async () => {
    const appended = await service.transaction((tx) => writer.applyBatch(tx, [next(), next()]));
    expect(appended.map((record) => record.seq)).toEqual([11, 12]);
    const reader = new PostgresAuditLogReader(service.pool);
    expect((await reader.query({ perPage: 100 })).events).toHaveLength(12);
    const chain = new PostgresAuditChainStore(service.pool);
    const head = await chain.head();
    await chain.saveCheckpoint({ seq: 12, head: head?.hash ?? '', signedAt: '2026-01-01T00:00:00.000Z', kid: 'k', jws: 'j', note: null });
    await chain.saveCheckpoint({ seq: 12, head: 'other', signedAt: '2026-01-01T00:00:00.000Z', kid: 'k', jws: 'j', note: null });
    expect((await chain.latestCheckpoint())?.head).toBe(head?.hash);
    const named = new PostgresNamedQueryRepository(service.pool);
    expect(await named.create({ name: 'failures', query: { EQ_disposition: ['non_conformant'] }, createdAt: '2026-01-01T00:00:00.000Z' })).toBe(true);
    expect(await named.delete('failures')).toBe(true);
  });

  it('denies the service role UPDATE, DELETE and TRUNCATE on the log and checkpoints, and CREATE in the schema', async () => {
    for (const sql of [...Object.values(CHANGES), "UPDATE audit_checkpoints SET jws = 'forged'", 'DELETE FROM audit_checkpoints', 'CREATE TABLE shadow (x int)']) {
      await expect(service.pool.query(sql)).rejects.toMatchObject({ code: PERMISSION_DENIED });
    }
  });

  it('still denies the service role UPDATE and DELETE with the append-only triggers disabled: privileges hold on their own', async () => {
    await owner.pool.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    try {
      for (const sql of Object.values(CHANGES)) {
        await expect(service.pool.query(sql)).rejects.toMatchObject({ code: PERMISSION_DENIED });
      }
    } finally {
      await owner.pool.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
    expect((await new PostgresAuditChainStore(owner.pool).head())?.seq).toBe(12);
  });

  it('creates a missing role without login, grants idempotently, and refuses a role that could rewrite the log', async () => {
    await grantAuditServiceRole(owner.pool, { schema, role: missingRole });
    await grantAuditServiceRole(owner.pool, { schema, role: missingRole });
    const { rows } = await owner.pool.query<{ rolcanlogin: boolean; privileges: string[] }>(
      `SELECT rolcanlogin, ARRAY(SELECT table_name || ':' || privilege_type FROM information_schema.role_table_grants
         WHERE grantee = $1 AND table_schema = $2 ORDER BY 1) AS privileges FROM pg_roles WHERE rolname = $1`,
      [missingRole, schema],
    );
    expect(rows[0]).toEqual({
      rolcanlogin: false,
      privileges: [
        'audit_checkpoints:INSERT',
        'audit_checkpoints:SELECT',
        'audit_events:INSERT',
        'audit_events:SELECT',
        'audit_tree:INSERT',
        'audit_tree:SELECT',
        'epcis_named_queries:DELETE',
        'epcis_named_queries:INSERT',
        'epcis_named_queries:SELECT',
        // Subscriptions are the service's to create, list, end and advance (their delivery checkpoint); the log stays append-only.
        'epcis_query_subscriptions:DELETE',
        'epcis_query_subscriptions:INSERT',
        'epcis_query_subscriptions:SELECT',
        'epcis_query_subscriptions:UPDATE',
      ],
    });
    const ownerRole = decodeURIComponent(new URL(TEST_DATABASE_URL).username);
    await expect(grantAuditServiceRole(owner.pool, { schema, role: ownerRole })).rejects.toThrow(/could rewrite it/);
    await expect(grantAuditServiceRole(owner.pool, { schema, role: 'Robert"); DROP TABLE audit_events; --' })).rejects.toThrow(/not a plain lowercase identifier/);
  });
});
