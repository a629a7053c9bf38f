import type { PoolClient } from 'pg';
import { v7 as uuidv7 } from 'uuid';

import type { AppendOptions, AppendResult, Clock, EventBus, EventStore, ExpectedVersion, StreamSlice } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { type DomainEvent, EventCatalog, type NewEvent, type RecordedEvent } from '@m2m-trust/shared-events';

import type { PgExecutor, PostgresDatabase } from './postgres-database';
import type { PostgresProjection } from './postgres-inline-projection';

export interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: string;
  tx_id: string;
}

export function rowToRecordedEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    position: Number(row.position),
    recordedAt: row.recorded_at,
    schemaVersion: row.schema_version,
  } as RecordedEvent;
}

/**
 * Where a conditioned append reads another stream's version. By default the
 * store's own `streams` table; a service whose decisions rest on another
 * service's streams (the challenge service on devices) reads its projection
 * of them, locked FOR SHARE so the change it waits for cannot commit in between.
 */
export type ConditionVersionReader = (tx: PgExecutor, streamId: string) => Promise<number | undefined>;

export class VersionConflictError extends DomainError {
  constructor(streamId: string, expected: number, actual: number) {
    super(ErrorCode.ConcurrencyConflict, `Stream ${streamId} is at version ${actual}, not ${expected}`);
  }
}

/**
 * Event store on PostgreSQL: one transaction per append holds the events, the
 * stream's new version, every inline projection and the outbox entry (the
 * events table itself, read by the relay). No NOTIFY: it would take a
 * database-wide lock at every commit; the relay polls a cheap index range instead.
 */
export class PostgresEventStore implements EventStore {
  private readonly byType = new Map<string, PostgresProjection[]>();

  constructor(
    private readonly database: PostgresDatabase,
    projections: readonly PostgresProjection[],
    private readonly clock: Clock,
    private readonly options: { readonly conditionVersion?: ConditionVersionReader; readonly bus?: EventBus } = {},
  ) {
    for (const projection of projections) {
      for (const type of projection.handles) this.byType.set(type, [...(this.byType.get(type) ?? []), projection]);
    }
  }

  async readStream<E extends DomainEvent = DomainEvent>(streamId: string): Promise<StreamSlice<E>> {
    const { rows } = await this.database.pool.query<EventRow>('SELECT * FROM events WHERE stream_id = $1 ORDER BY stream_version', [streamId]);
    return { version: rows.length, events: rows.map(rowToRecordedEvent) as RecordedEvent<E>[] };
  }

  async appendToStream(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    const result = await this.database.transaction((tx) => this.append(tx, streamId, expectedVersion, events, options));
    // In-process subscribers (caches) hear of the commit before the caller is answered; other services through the relay.
    if (this.options.bus && result.events.length > 0) await this.options.bus.publish(result.events);
    return result;
  }

  private async append(
    tx: PoolClient,
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions | undefined,
  ): Promise<AppendResult> {
    for (const condition of options?.conditions ?? []) {
      const actual = await this.conditionVersion(tx, condition.streamId);
      if (actual !== condition.version) throw new VersionConflictError(condition.streamId, condition.version, actual);
    }
    const start = await this.advanceStream(tx, streamId, expectedVersion, events.length);
    const recordedAt = this.clock.now().toISOString();
    const recorded: RecordedEvent[] = events.map((event, i) => ({
      type: event.type,
      data: event.data,
      metadata: event.metadata,
      // Time-ordered ids append to the end of their unique index.
      eventId: uuidv7(),
      streamId,
      streamVersion: start + i + 1,
      position: 0,
      recordedAt,
      schemaVersion: EventCatalog[event.type].schemaVersion,
    })) as RecordedEvent[];
    const { rows } = await tx.query<{ position: string }>(
      `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::json[], $7::json[], $8::text[])
       RETURNING position`,
      [
        recorded.map((e) => e.eventId),
        recorded.map((e) => e.streamId),
        recorded.map((e) => e.streamVersion),
        recorded.map((e) => e.type),
        recorded.map((e) => e.schemaVersion),
        recorded.map((e) => JSON.stringify(e.data)),
        recorded.map((e) => JSON.stringify(e.metadata)),
        recorded.map(() => recordedAt),
      ],
    );
    const stored = recorded.map((event, i) => ({ ...event, position: Number((rows[i] as { position: string }).position) }) as RecordedEvent);
    for (const event of stored) {
      for (const projection of this.byType.get(event.type) ?? []) await projection.apply(tx, event);
    }
    return { nextExpectedVersion: start + events.length, events: stored };
  }

  /** Moves the stream's version on by `count`, returning the version it stood at; refuses a stale expectation. */
  private async advanceStream(tx: PgExecutor, streamId: string, expected: ExpectedVersion, count: number): Promise<number> {
    if (expected === 'any') {
      const { rows } = await tx.query<{ version: number }>(
        `INSERT INTO streams (stream_id, version) VALUES ($1, $2)
         ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + EXCLUDED.version RETURNING version`,
        [streamId, count],
      );
      return (rows[0] as { version: number }).version - count;
    }
    const { rows } =
      expected === 0
        ? await tx.query<{ version: number }>('INSERT INTO streams (stream_id, version) VALUES ($1, $2) ON CONFLICT (stream_id) DO NOTHING RETURNING version', [
            streamId,
            count,
          ])
        : await tx.query<{ version: number }>('UPDATE streams SET version = $3 WHERE stream_id = $1 AND version = $2 RETURNING version', [
            streamId,
            expected,
            expected + count,
          ]);
    if (rows.length === 0) {
      const current = await tx.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
      throw new VersionConflictError(streamId, expected, current.rows[0]?.version ?? 0);
    }
    return expected;
  }

  private async conditionVersion(tx: PgExecutor, streamId: string): Promise<number> {
    const fromReader = await this.options.conditionVersion?.(tx, streamId);
    if (fromReader !== undefined) return fromReader;
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1 FOR SHARE', [streamId]);
    return rows[0]?.version ?? 0;
  }
}
