import type { AppendOptions, AppendResult, Clock, EventBus, EventStore, ExpectedVersion, StreamSlice } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { type DomainEvent, EventCatalog, type NewEvent, type RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';

import type { SqliteInlineProjection, SqliteStoreFollower } from './sqlite-inline-projection';

interface EventRow {
  position: number;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
}

interface PendingAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
  readonly options: AppendOptions | undefined;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: AppendResult } | { error: unknown };

export class VersionConflictError extends DomainError {
  constructor(streamId: string, expected: number, actual: number) {
    super(ErrorCode.ConcurrencyConflict, `Stream ${streamId} is at version ${actual}, not ${expected}`);
  }
}

/** An append failed after it began writing: the batch it was in must be undone and run again with savepoints. */
class WriteFailed extends Error {
  constructor(cause: unknown) {
    super('an append failed after it began writing', { cause });
  }
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    position: row.position,
    recordedAt: row.recorded_at,
    schemaVersion: row.schema_version,
  } as RecordedEvent;
}

/**
 * Event store on SQLite with group commit: appends that arrive in the same
 * turn of the event loop share one transaction (and one fsync), and a failing
 * append rejects only itself. Inline projections run inside that transaction;
 * the bus hears of events only after the commit.
 *
 * A batch first runs without savepoints: an append refused by its version
 * checks has written nothing, so it fails alone. Only when an append fails
 * after it began writing (an inline projection refusing it, a constraint)
 * is the batch rolled back and run again with a savepoint per append. A
 * savepoint per append in every batch copied each page an append touched into
 * its sub-journal, page by page, and cost about a tenth of an append's time.
 */
export class SqliteEventStore implements EventStore {
  private queue: PendingAppend[] = [];
  private scheduled = false;
  private readonly byType = new Map<string, SqliteInlineProjection[]>();
  private readonly statements;
  private readonly flushBatch: Database.Transaction<(batch: readonly PendingAppend[]) => Outcome[]>;
  private readonly flushBatchWithSavepoints: Database.Transaction<(batch: readonly PendingAppend[]) => Outcome[]>;
  private head: number;

  constructor(
    private readonly db: Database.Database,
    private readonly projections: readonly SqliteInlineProjection[],
    private readonly clock: Clock,
    private readonly bus?: EventBus,
    private readonly followers: readonly SqliteStoreFollower[] = [],
  ) {
    for (const projection of projections) {
      for (const type of projection.handles) this.byType.set(type, [...(this.byType.get(type) ?? []), projection]);
    }
    this.statements = {
      readStream: db.prepare<[string], EventRow>('SELECT * FROM events WHERE stream_id = ? ORDER BY stream_version'),
      streamVersion: db.prepare<[string], { v: number }>('SELECT COALESCE(MAX(stream_version), 0) AS v FROM events WHERE stream_id = ?'),
      insert: db.prepare(
        'INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      checkpoint: db.prepare<[string], { position: number }>('SELECT position FROM projection_checkpoints WHERE name = ?'),
      saveCheckpoint: db.prepare(
        'INSERT INTO projection_checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position',
      ),
    };
    this.head = db.prepare<[], { p: number }>('SELECT COALESCE(MAX(position), 0) AS p FROM events').get()?.p ?? 0;
    // Fast: version checks may fail alone (they write nothing); a failure while writing aborts the batch.
    const appendUnisolated = (item: PendingAppend, recordedAt: string): AppendResult => {
      const current = this.check(item);
      try {
        return this.write(item, current, recordedAt);
      } catch (error) {
        throw new WriteFailed(error);
      }
    };
    // Fallback: a nested transaction is a savepoint, so one failing append leaves the others.
    const appendInSavepoint = db.transaction((item: PendingAppend, recordedAt: string) => this.write(item, this.check(item), recordedAt));
    this.flushBatch = this.batchTransaction(appendUnisolated);
    this.flushBatchWithSavepoints = this.batchTransaction(appendInSavepoint);
  }

  private batchTransaction(
    append: (item: PendingAppend, recordedAt: string) => AppendResult,
  ): Database.Transaction<(batch: readonly PendingAppend[]) => Outcome[]> {
    return this.db.transaction((batch: readonly PendingAppend[]) => {
      const recordedAt = this.clock.now().toISOString();
      const outcomes: Outcome[] = batch.map((item) => {
        try {
          return { ok: append(item, recordedAt) };
        } catch (error) {
          if (error instanceof WriteFailed) throw error;
          return { error };
        }
      });
      this.saveCheckpoints(outcomes);
      return outcomes;
    });
  }

  async readStream<E extends DomainEvent = DomainEvent>(streamId: string): Promise<StreamSlice<E>> {
    const events = this.statements.readStream.all(streamId).map(toRecordedEvent) as RecordedEvent<E>[];
    return { version: events.length, events };
  }

  appendToStream(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, expectedVersion, events, options, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** The position of the last committed event (0 for an empty store). */
  headPosition(): number {
    return this.head;
  }

  /** Events after `position`, in store order: for catch-up and for the outbox relay. */
  readAll(afterPosition: number, limit: number): RecordedEvent[] {
    return this.statements.readAll.all(afterPosition, limit).map(toRecordedEvent);
  }

  /**
   * Brings every inline projection up to the head of the store: after an
   * upgrade adds a projection, or if one was rebuilt. Normally a no-op, since
   * inline projections commit with the events.
   */
  catchUpProjections(batchSize = 1000): number {
    let applied = 0;
    for (const projection of this.projections) {
      let position = this.statements.checkpoint.get(projection.name)?.position ?? 0;
      for (;;) {
        const rows = this.readAll(position, batchSize);
        if (rows.length === 0) break;
        this.db.transaction(() => {
          for (const event of rows) {
            if (projection.handles.includes(event.type)) {
              projection.apply(event);
              applied++;
            }
          }
          position = (rows[rows.length - 1] as RecordedEvent).position;
          this.statements.saveCheckpoint.run(projection.name, position);
        })();
      }
    }
    return applied;
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    let outcomes: Outcome[];
    try {
      try {
        outcomes = this.flushBatch.immediate(batch);
      } catch (error) {
        if (!(error instanceof WriteFailed)) throw error;
        outcomes = this.flushBatchWithSavepoints.immediate(batch);
      }
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch was written.
      for (const item of batch) item.reject(error);
      return;
    }
    const committed: RecordedEvent[] = [];
    for (const outcome of outcomes) if ('ok' in outcome) committed.push(...outcome.ok.events);
    if (committed.length > 0) {
      // Rows were inserted in batch order, so `committed` is in position order.
      this.head = (committed[committed.length - 1] as RecordedEvent).position;
      for (const follower of this.followers) follower.follow(committed);
    }
    // Subscribers (caches, live feeds) hear of a commit before any caller is answered.
    if (this.bus && committed.length > 0) void this.bus.publish(committed);
    outcomes.forEach((outcome, i) => {
      const item = batch[i] as PendingAppend;
      if ('ok' in outcome) item.resolve(outcome.ok);
      else item.reject(outcome.error);
    });
  }

  /** The version checks of an append, which write nothing: its stream's current version, or a VersionConflictError. */
  private check(item: PendingAppend): number {
    const { streamId, expectedVersion } = item;
    for (const condition of item.options?.conditions ?? []) {
      const actual = this.statements.streamVersion.get(condition.streamId)?.v ?? 0;
      if (actual !== condition.version) throw new VersionConflictError(condition.streamId, condition.version, actual);
    }
    const current = this.statements.streamVersion.get(streamId)?.v ?? 0;
    if (expectedVersion !== 'any' && current !== expectedVersion) throw new VersionConflictError(streamId, expectedVersion, current);
    return current;
  }

  private write(item: PendingAppend, current: number, recordedAt: string): AppendResult {
    const { streamId } = item;
    const recorded: RecordedEvent[] = [];
    let version = current;
    for (const event of item.events) {
      version++;
      // Time-ordered ids append to the end of their unique index instead of
      // touching a random page per insert (fewer pages written per commit).
      const eventId = uuidv7();
      const schemaVersion = EventCatalog[event.type].schemaVersion;
      const info = this.statements.insert.run(
        eventId,
        streamId,
        version,
        event.type,
        schemaVersion,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        recordedAt,
      );
      const stored = {
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        eventId,
        streamId,
        streamVersion: version,
        position: Number(info.lastInsertRowid),
        recordedAt,
        schemaVersion,
      } as RecordedEvent;
      for (const projection of this.byType.get(event.type) ?? []) projection.apply(stored);
      recorded.push(stored);
    }
    return { nextExpectedVersion: version, events: recorded };
  }

  private saveCheckpoints(outcomes: readonly Outcome[]): void {
    let last = 0;
    for (const outcome of outcomes) {
      if ('ok' in outcome) for (const event of outcome.ok.events) last = Math.max(last, event.position);
    }
    if (last === 0) return;
    for (const projection of this.projections) this.statements.saveCheckpoint.run(projection.name, last);
  }
}
