import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { DataSource, type MigrationInterface } from 'typeorm';

import { EventStore1763700000000 } from './event-store.migration';
import { type SqliteCheckpointer, startBackgroundCheckpointer } from './sqlite-checkpointer';

type MigrationClass = new () => MigrationInterface;

export interface SqliteDatabase {
  readonly dataSource: DataSource;
  /** The driver's connection, for prepared statements on hot paths. */
  readonly db: Database.Database;
  /** The file's path. */
  readonly file: string;
  close(): Promise<void>;
}

export const SQLITE_DATABASE = Symbol.for('m2m-trust.SqliteDatabase');

/** The embedded server's main file in its data directory: the event store and the read models kept with it. */
export const EMBEDDED_DATABASE_FILE = 'm2m-trust.sqlite';

export interface SqliteDatabaseOptions {
  /** Checkpoint the write-ahead log on a worker thread rather than in the writer's commits (the server's setting). */
  readonly backgroundCheckpoints?: boolean;
  /** The file in `dataDir` (default {@link EMBEDDED_DATABASE_FILE}). */
  readonly fileName?: string;
  /** Whether the file holds the event store's tables (default true); a file of read models alone says false. */
  readonly eventStore?: boolean;
}

/**
 * Opens (creating if needed) the embedded database in `dataDir` and applies
 * pending migrations. WAL with synchronous=FULL: an answered write survives a
 * crash or power loss; group commit pays the fsync once per batch.
 */
export async function openSqliteDatabase(
  dataDir: string,
  migrations: readonly MigrationClass[],
  options: SqliteDatabaseOptions = {},
): Promise<SqliteDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, options.fileName ?? EMBEDDED_DATABASE_FILE);
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: file,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    migrations: options.eventStore === false ? [...migrations] : [EventStore1763700000000, ...migrations],
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
  const checkpointer: SqliteCheckpointer | null = options.backgroundCheckpoints ? startBackgroundCheckpointer(db, file) : null;
  return {
    dataSource,
    db,
    file,
    close: async () => {
      // The checkpointer's connection closes first, so the writer's close is the last and folds the log into the file.
      await checkpointer?.stop();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
