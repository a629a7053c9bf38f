import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type Database from 'better-sqlite3';
import { DataSource, type MigrationInterface } from 'typeorm';

import { EventStore1763700000000 } from './event-store.migration';

type MigrationClass = new () => MigrationInterface;

export interface SqliteDatabase {
  readonly dataSource: DataSource;
  /** The driver's connection, for prepared statements on hot paths. */
  readonly db: Database.Database;
  close(): Promise<void>;
}

export const SQLITE_DATABASE = Symbol.for('m2m-trust.SqliteDatabase');

/**
 * Opens (creating if needed) the embedded database in `dataDir` and applies
 * pending migrations. WAL with synchronous=FULL: an answered write survives a
 * crash or power loss; group commit pays the fsync once per batch.
 */
export async function openSqliteDatabase(dataDir: string, migrations: readonly MigrationClass[]): Promise<SqliteDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: join(dataDir, 'm2m-trust.sqlite'),
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    migrations: [EventStore1763700000000, ...migrations],
    prepareDatabase: (db: Database.Database) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      // Room for the hot index pages of a busy log; savepoint journals in memory
      // rather than a temp file written page by page on every append.
      db.pragma('cache_size = -65536');
      db.pragma('temp_store = MEMORY');
    },
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  const db = (dataSource.driver as unknown as { databaseConnection: Database.Database }).databaseConnection;
  return {
    dataSource,
    db,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
