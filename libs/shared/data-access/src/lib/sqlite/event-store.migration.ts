import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The event store: one append-only table in global order, which is also the outbox. */
export class EventStore1763700000000 implements MigrationInterface {
  readonly name = 'EventStore1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE events (
      position INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id TEXT NOT NULL UNIQUE,
      stream_id TEXT NOT NULL,
      stream_version INTEGER NOT NULL,
      type TEXT NOT NULL,
      schema_version INTEGER NOT NULL,
      data TEXT NOT NULL,
      metadata TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      UNIQUE (stream_id, stream_version)
    )`);
    await q.query(`CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`);
    await q.query(`CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`);
    await q.query(`CREATE TABLE projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE projection_checkpoints');
    await q.query('DROP TABLE events');
  }
}
