import type { ChainLink, EpcisObjectEvent, EventQuery, TreeNode } from '@m2m-trust/audit-domain';
import { openSqliteDatabase, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';

import type { AuditChainStore, ChainRecord, StoredCheckpoint } from '../audit-chain.store';
import type { AuditLogRepository, AuditPage } from '../audit-log.repository';
import type { VocabularyField } from '../audit-vocabulary';
import { AuditChain1763700000400 } from './audit-chain.migration';
import { AuditLog1763700000300 } from './audit-log.migration';
import { AuditQueryIndexes1763700000510 } from './audit-query-indexes.migration';
import { AuditSource1763700000700 } from './audit-source.migration';
import { AuditTree1763700000900 } from './audit-tree.migration';
import { SqliteAuditChainStore } from './sqlite-audit-chain.store';
import { type AuditFollowerLogger, type AuditFollowerOptions, type FollowedEventStore, SqliteAuditLogFollower } from './sqlite-audit-log.follower';
import { SqliteAuditLogReader } from './sqlite-audit-log.reader';
import { backfillSqliteAuditTree } from './sqlite-audit-tree.backfill';
import { AUDIT_RECORD_COLUMNS, SqliteAuditWriterThread } from './sqlite-audit-writer.thread';

/** The embedded server's audit log, a file of its own beside the event store's. */
export const AUDIT_DATABASE_FILE = 'audit.sqlite';

/** The audit file's schema: the chained log, its query indexes, its signed checkpoints, its position in the store. */
export const AUDIT_FILE_MIGRATIONS = [AuditLog1763700000300, AuditChain1763700000400, AuditQueryIndexes1763700000510, AuditSource1763700000700, AuditTree1763700000900];

/** Queries see every write answered before they arrived. */
class SettledAuditLogReader implements AuditLogRepository {
  constructor(
    private readonly reader: AuditLogRepository,
    private readonly follower: SqliteAuditLogFollower,
  ) {}

  async query(query: EventQuery): Promise<AuditPage> {
    await this.follower.settled();
    return this.reader.query(query);
  }

  async findByEventId(eventId: string): Promise<EpcisObjectEvent | null> {
    await this.follower.settled();
    return this.reader.findByEventId(eventId);
  }

  async positionOf(eventId: string): Promise<number | null> {
    await this.follower.settled();
    return this.reader.positionOf(eventId);
  }

  async eventTypes(): Promise<readonly string[]> {
    await this.follower.settled();
    return this.reader.eventTypes();
  }

  async distinctValues(field: VocabularyField, after: string | null, limit: number): Promise<readonly string[]> {
    await this.follower.settled();
    return this.reader.distinctValues(field, after, limit);
  }

  async holdsValue(field: VocabularyField, value: string): Promise<boolean> {
    await this.follower.settled();
    return this.reader.holdsValue(field, value);
  }
}

/**
 * The chain as the writer thread keeps it: its head is read once the log has
 * caught up (so a checkpoint or an export's snapshot covers every answered
 * write), and checkpoints are saved by the writer, the file's only writer.
 */
class FollowedAuditChainStore implements AuditChainStore {
  constructor(
    private readonly chain: SqliteAuditChainStore,
    private readonly follower: SqliteAuditLogFollower,
    private readonly writer: SqliteAuditWriterThread,
  ) {}

  async head(): Promise<ChainLink | null> {
    await this.follower.settled();
    return this.chain.head();
  }

  records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]> {
    return this.chain.records(afterSeq, limit);
  }

  recordOf(eventId: string): Promise<ChainRecord | null> {
    return this.chain.recordOf(eventId);
  }

  async treeSize(): Promise<number> {
    await this.follower.settled();
    return this.chain.treeSize();
  }

  treeHashes(nodes: readonly TreeNode[]): Promise<readonly (Buffer | undefined)[]> {
    return this.chain.treeHashes(nodes);
  }

  latestCheckpoint(): Promise<StoredCheckpoint | null> {
    return this.chain.latestCheckpoint();
  }

  checkpointAt(seq: number): Promise<StoredCheckpoint | null> {
    return this.chain.checkpointAt(seq);
  }

  checkpoints(): Promise<readonly StoredCheckpoint[]> {
    return this.chain.checkpoints();
  }

  saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    return this.writer.saveCheckpoint(checkpoint);
  }
}

export interface EmbeddedAuditLog {
  readonly database: SqliteDatabase;
  readonly follower: SqliteAuditLogFollower;
  readonly reader: AuditLogRepository;
  readonly chain: AuditChainStore;
  /** Starts writing behind `store`: resumes from the file's position and catches up. */
  start(store: FollowedEventStore): void;
  /** Writes what was handed over (bounded wait), stops the writer thread and closes the file. */
  close(): Promise<void>;
}

interface Logger extends AuditFollowerLogger {
  log(message: string): void;
}

/**
 * Opens the audit file in `dataDir` (creating and migrating it) and moves
 * into it the audit log of a main database from before the log had a file of
 * its own. The main thread reads it; a writer thread writes it.
 */
export async function openEmbeddedAuditLog(
  dataDir: string,
  main: SqliteDatabase,
  logger: Logger,
  options: Partial<AuditFollowerOptions> = {},
): Promise<EmbeddedAuditLog> {
  const database = await openSqliteDatabase(dataDir, AUDIT_FILE_MIGRATIONS, { fileName: AUDIT_DATABASE_FILE, eventStore: false });
  const moved = moveLegacyAuditLog(main, database);
  if (moved > 0) logger.log(`moved ${moved} audit records from ${main.file} into ${database.file}`);
  const built = backfillSqliteAuditTree(database.db);
  if (built > 0) logger.log(`built the Merkle tree of ${built} audit records written before it`);
  // The writer reports to the follower, which it is created before; nothing is reported until the follower starts it.
  const writer = new SqliteAuditWriterThread(database.file, {
    committed: (generation, upTo) => follower.committed(generation, upTo),
    failed: (generation, reason) => follower.failed(generation, reason),
    died: (reason) => follower.died(reason),
  });
  const follower = new SqliteAuditLogFollower(database.db, writer, logger, options);
  return {
    database,
    follower,
    reader: new SettledAuditLogReader(new SqliteAuditLogReader(database.db), follower),
    chain: new FollowedAuditChainStore(new SqliteAuditChainStore(database.db), follower, writer),
    start: (store) => follower.start(store),
    close: async () => {
      await follower.close();
      await database.close();
    },
  };
}

/**
 * Before the audit log had a file of its own it lived in the main database,
 * written in each event's transaction. Its records, checkpoints and position
 * move to the audit file once, in one transaction of the audit file; the old
 * tables are dropped after that commits (a crash in between finds the copy
 * done and only drops).
 */
function moveLegacyAuditLog(main: SqliteDatabase, audit: SqliteDatabase): number {
  const legacy = main.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'").get();
  if (!legacy) return 0;
  let moved = 0;
  if (!audit.db.prepare('SELECT 1 FROM audit_events LIMIT 1').get()) {
    main.db.prepare('ATTACH DATABASE ? AS audit_file').run(audit.file);
    try {
      main.db.transaction(() => {
        moved = main.db.prepare(`INSERT INTO audit_file.audit_events (${AUDIT_RECORD_COLUMNS}) SELECT ${AUDIT_RECORD_COLUMNS} FROM main.audit_events ORDER BY seq`).run().changes;
        main.db.exec('INSERT INTO audit_file.audit_checkpoints (seq, head, signed_at, kid, jws) SELECT seq, head, signed_at, kid, jws FROM main.audit_checkpoints');
        main.db.exec(
          "UPDATE audit_file.audit_source SET position = COALESCE((SELECT position FROM main.projection_checkpoints WHERE name = 'audit.log'), 0) WHERE id = 1",
        );
      })();
    } finally {
      main.db.exec('DETACH DATABASE audit_file');
    }
  }
  main.db.exec('DROP TABLE IF EXISTS main.audit_checkpoints; DROP TABLE main.audit_events');
  return moved;
}

