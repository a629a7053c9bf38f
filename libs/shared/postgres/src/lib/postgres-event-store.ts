import type { AppendOptions, AppendResult, Clock, EventBus, EventStore, ExpectedVersion, StreamSlice } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { type DomainEvent, EventCatalog, type NewEvent, type RecordedEvent } from '@m2m-trust/shared-events';

import type { PoolClient } from 'pg';
import { v7 as uuidv7 } from 'uuid';

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
 * Where a conditioned append reads another stream's version: by default the
 * store's own `streams` table; a service whose decisions rest on another
 * service's streams (the challenge service on devices) names its projection
 * of them. `select` is one query returning a `version` column, with `{key}`
 * where the key goes; the store locks the row FOR SHARE in the append, so the
 * change the decision did not see cannot commit in between.
 */
export type ConditionSource = (streamId: string) => { readonly select: string; readonly key: string } | undefined;

const OWN_STREAMS: ConditionSource = (streamId) => ({ select: 'SELECT version FROM streams WHERE stream_id = {key}', key: streamId });

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
    private readonly options: { readonly conditions?: ConditionSource; readonly bus?: EventBus } = {},
  ) {
    for (const projection of projections) {
      for (const type of projection.handles) this.byType.set(type, [...(this.byType.get(type) ?? []), projection]);
    }
  }

  private projectionsFor(event: NewEvent): readonly PostgresProjection[] {
    const handlers = this.byType.get(event.type);
    return handlers === undefined ? [] : handlers.filter((projection) => projection.appliesTo?.(event) ?? true);
  }

  async readStream<E extends DomainEvent = DomainEvent>(streamId: string): Promise<StreamSlice<E>> {
    const { rows } = await this.database.pool.query<EventRow>('SELECT * FROM events WHERE stream_id = $1 ORDER BY stream_version', [streamId]);
    return { version: rows.length, events: rows.map(rowToRecordedEvent) as RecordedEvent<E>[] };
  }

  async appendToStream(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    const inline = events.some((event) => this.projectionsFor(event).length > 0);
    const result =
      inline || expectedVersion === 'any'
        ? await this.database.transaction((tx) => this.append(tx, streamId, expectedVersion, events, options))
        : await this.appendInOneStatement(streamId, expectedVersion, events, options);
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
    const recorded = this.record(streamId, start, events);
    const { rows } = await tx.query<{ position: string }>(
      `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::json[], $7::json[], $8::text[])
       RETURNING position`,
      this.columns(recorded),
    );
    const stored = recorded.map((event, i) => ({ ...event, position: Number((rows[i] as { position: string }).position) }) as RecordedEvent);
    for (const event of stored) {
      for (const projection of this.projectionsFor(event)) await projection.apply(tx, event);
    }
    return { nextExpectedVersion: start + events.length, events: stored };
  }

  /**
   * The hot path (challenges): no inline projection to run, so the condition
   * locks, the version check and the insert are one statement — one round trip
   * and one implicit transaction instead of five. No row back means a
   * condition or the expected version did not hold.
   */
  private async appendInOneStatement(streamId: string, expected: number, events: readonly NewEvent[], options: AppendOptions | undefined): Promise<AppendResult> {
    const recorded = this.record(streamId, expected, events);
    const params: unknown[] = [streamId, expected, expected + events.length, ...this.columns(recorded)];
    const checks: string[] = [];
    const ctes: string[] = [];
    (options?.conditions ?? []).forEach((condition, i) => {
      const source = this.conditionSource(condition.streamId);
      params.push(source.key, condition.version);
      ctes.push(`c${i} AS (${source.select.replace('{key}', `$${params.length - 1}::text`)} FOR SHARE)`);
      checks.push(`COALESCE((SELECT version FROM c${i}), 0) = $${params.length}::int`);
    });
    ctes.push(`ok AS (SELECT ${checks.length > 0 ? checks.join(' AND ') : 'TRUE'} AS ok)`);
    ctes.push(
      expected === 0
        ? 's AS (INSERT INTO streams (stream_id, version) SELECT $1::text, $3::int WHERE $2::int = 0 AND (SELECT ok FROM ok) ON CONFLICT (stream_id) DO NOTHING RETURNING version)'
        : 's AS (UPDATE streams SET version = $3::int WHERE stream_id = $1::text AND version = $2::int AND (SELECT ok FROM ok) RETURNING version)',
    );
    const { rows } = await this.database.pool.query<{ position: string }>(
      `WITH ${ctes.join(', ')}
       INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
       SELECT * FROM unnest($4::uuid[], $5::text[], $6::int[], $7::text[], $8::int[], $9::json[], $10::json[], $11::text[])
       WHERE EXISTS (SELECT 1 FROM s)
       RETURNING position`,
      params,
    );
    if (rows.length === 0) throw await this.explainConflict(streamId, expected, options);
    return { nextExpectedVersion: expected + events.length, events: recorded.map((event, i) => ({ ...event, position: Number((rows[i] as { position: string }).position) }) as RecordedEvent) };
  }

  /** Which expectation failed, read after the fact: for the error's message only. */
  private async explainConflict(streamId: string, expected: number, options: AppendOptions | undefined): Promise<VersionConflictError> {
    for (const condition of options?.conditions ?? []) {
      const actual = await this.conditionVersion(this.database.pool, condition.streamId, false);
      if (actual !== condition.version) return new VersionConflictError(condition.streamId, condition.version, actual);
    }
    const { rows } = await this.database.pool.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
    return new VersionConflictError(streamId, expected, rows[0]?.version ?? 0);
  }

  private record(streamId: string, start: number, events: readonly NewEvent[]): RecordedEvent[] {
    const recordedAt = this.clock.now().toISOString();
    return events.map((event, i) => ({
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
  }

  /** The events as the eight arrays the INSERT … unnest takes. */
  private columns(recorded: readonly RecordedEvent[]): unknown[] {
    return [
      recorded.map((e) => e.eventId),
      recorded.map((e) => e.streamId),
      recorded.map((e) => e.streamVersion),
      recorded.map((e) => e.type),
      recorded.map((e) => e.schemaVersion),
      recorded.map((e) => JSON.stringify(e.data)),
      recorded.map((e) => JSON.stringify(e.metadata)),
      recorded.map((e) => e.recordedAt),
    ];
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

  private conditionSource(streamId: string): { readonly select: string; readonly key: string } {
    return this.options.conditions?.(streamId) ?? (OWN_STREAMS(streamId) as { select: string; key: string });
  }

  private async conditionVersion(tx: PgExecutor, streamId: string, lock = true): Promise<number> {
    const source = this.conditionSource(streamId);
    const { rows } = await tx.query<{ version: number }>(`${source.select.replace('{key}', '$1')}${lock ? ' FOR SHARE' : ''}`, [source.key]);
    return rows[0]?.version ?? 0;
  }
}
