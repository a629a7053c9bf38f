import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store of one service's schema. `events` is append-only and is the
 * transactional outbox: `tx_id` (the writing transaction) lets the relay read
 * in an order no later commit can slip in front of. `streams` holds each
 * stream's version: its row lock is what serialises appends to one stream and
 * what a conditioned append reads FOR SHARE.
 */
export class PostgresEventStore1763700001000 implements MigrationInterface {
  readonly name = 'PostgresEventStore1763700001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE events (
      position bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      stream_id text NOT NULL,
      stream_version integer NOT NULL,
      type text NOT NULL,
      schema_version integer NOT NULL,
      data json NOT NULL,
      metadata json NOT NULL,
      recorded_at text NOT NULL,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      UNIQUE (stream_id, stream_version)
    )`);
    await q.query('CREATE INDEX events_outbox_order ON events (tx_id, position)');
    await q.query(`CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$`);
    await q.query('CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only()');
    await q.query('CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()');
    await q.query('CREATE TABLE streams (stream_id text PRIMARY KEY, version integer NOT NULL)');
    await q.query(`CREATE TABLE outbox_checkpoints (name text PRIMARY KEY, tx_id xid8 NOT NULL, position bigint NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox_checkpoints');
    await q.query('DROP TABLE streams');
    await q.query('DROP TABLE events');
    await q.query('DROP FUNCTION events_append_only');
  }
}

/** The event store's tables in a service's schema. */
export const eventStorePostgresMigrations = [PostgresEventStore1763700001000];
