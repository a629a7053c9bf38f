import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';

export type PostgresMigration = new () => MigrationInterface;

/** What a query needs: a pool, or the client of a transaction. */
export interface PgExecutor {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface PostgresOptions {
  /** postgres://user:password@host:port/database the service runs as. */
  readonly url: string;
  /** The service's own schema: every unqualified name resolves in it (search_path). */
  readonly schema: string;
  readonly migrations: readonly PostgresMigration[];
  /**
   * The schema owner that applies migrations, when the service itself runs as a
   * role with fewer privileges (the audit service's role may not UPDATE or DELETE).
   * Defaults to `url`.
   */
  readonly migrationUrl?: string;
  readonly poolSize?: number;
  /** Shows in pg_stat_activity. */
  readonly applicationName: string;
}

export interface PostgresDatabase {
  readonly pool: Pool;
  readonly schema: string;
  /** Runs `work` in one transaction (READ COMMITTED); commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const POSTGRES_DATABASE = Symbol.for('m2m-trust.PostgresDatabase');

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Advisory lock key under which one process at a time migrates a schema (two instances may start together). */
const migrationLockKey = (schema: string): string => `m2m-trust:migrate:${schema}`;

/**
 * Opens a pool bound to one schema, after creating the schema and applying its
 * pending migrations (TypeORM migrations, raw SQL) under an advisory lock.
 */
export async function openPostgresDatabase(options: PostgresOptions): Promise<PostgresDatabase> {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`schema name "${options.schema}" is not a plain lowercase identifier`);
  await migrate(options);
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName,
    options: `-c search_path=${options.schema}`,
  });
  // An idle client that loses its server (a restart) emits here; the pool replaces it on next use.
  pool.on('error', () => undefined);
  return {
    pool,
    schema: options.schema,
    transaction: (work) => transaction(pool, work),
    close: () => pool.end(),
  };
}

export async function transaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

async function migrate(options: PostgresOptions): Promise<void> {
  const url = options.migrationUrl ?? options.url;
  const lock = new Pool({ connectionString: url, max: 1, application_name: `${options.applicationName}:migrate` });
  const client = await lock.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [migrationLockKey(options.schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      schema: options.schema,
      synchronize: false,
      migrationsRun: false,
      migrationsTransactionMode: 'each',
      migrationsTableName: 'schema_migrations',
      migrations: [...options.migrations],
      extra: { max: 1, options: `-c search_path=${options.schema}`, application_name: `${options.applicationName}:migrate` },
    });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
    } finally {
      await dataSource.destroy();
    }
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [migrationLockKey(options.schema)]);
  } finally {
    client.release();
    await lock.end();
  }
}
