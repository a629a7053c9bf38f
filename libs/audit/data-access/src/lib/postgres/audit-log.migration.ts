import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The EPCIS audit log and its signed checkpoints in the audit service's
 * schema, chained from the start (no unchained records to backfill).
 *
 * - `seq` is assigned by the writer under the chain lock, never by a
 *   sequence: a rolled-back batch must not leave a gap the verifier would
 *   report as `sequence_gap`. The primary key is what makes a fork
 *   impossible rather than merely unlikely: two records cannot share a seq.
 * - `document` is `json`, not `jsonb`: json keeps the text exactly as the
 *   writer serialised it, so the reader returns the same bytes (key order
 *   included) as the SQLite reader; jsonb would reorder the keys.
 * - Times, terms and identifiers are text in the "C" collation: they compare
 *   byte by byte as in SQLite (and as the in-memory filter does), whatever
 *   the database's default collation, and sort as the UTC strings they are.
 * - UPDATE, DELETE and TRUNCATE are refused by statement triggers, even for
 *   the owner; the service role is not granted them either
 *   (see grantAuditServiceRole).
 */
export class PostgresAuditLog1763700001300 implements MigrationInterface {
  readonly name = 'PostgresAuditLog1763700001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_events (
      seq bigint PRIMARY KEY CHECK (seq > 0),
      prev_hash text NOT NULL,
      hash text NOT NULL,
      event_id text COLLATE "C" NOT NULL UNIQUE,
      source_event_id text COLLATE "C" NOT NULL UNIQUE,
      event_type text COLLATE "C" NOT NULL,
      event_time text COLLATE "C" NOT NULL,
      record_time text COLLATE "C" NOT NULL,
      action text COLLATE "C" NOT NULL,
      biz_step text COLLATE "C",
      disposition text COLLATE "C",
      epc text COLLATE "C" NOT NULL,
      reason text COLLATE "C",
      challenge_id text COLLATE "C",
      key_thumbprint text COLLATE "C",
      actor text COLLATE "C",
      request_id text COLLATE "C",
      method text COLLATE "C",
      document json NOT NULL
    )`);
    // A secondary index in PostgreSQL does not end with the key as SQLite's end with the rowid: `seq` is spelled out
    // so "epc = ? ORDER BY seq" and keyset paging read the index in order.
    await q.query('CREATE INDEX audit_events_epc ON audit_events (epc, seq)');
    await q.query('CREATE INDEX audit_events_biz_step ON audit_events (biz_step, seq)');
    await q.query('CREATE INDEX audit_events_event_time ON audit_events (event_time, seq)');
    await q.query('CREATE INDEX audit_events_record_time ON audit_events (record_time, seq)');
    await q.query(`CREATE TABLE audit_checkpoints (
      seq bigint PRIMARY KEY,
      head text NOT NULL,
      signed_at text NOT NULL,
      kid text NOT NULL,
      jws text NOT NULL
    )`);
    await q.query(`CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '%: % refused', TG_ARGV[0], TG_OP
          USING ERRCODE = 'restrict_violation', HINT = 'The audit log is evidence; it is only ever appended to.';
      END
    $$`);
    for (const [table, message] of [
      ['audit_events', 'the audit log is append-only'],
      ['audit_checkpoints', 'checkpoints are append-only'],
    ] as const) {
      // Statement triggers: they fire even when no row matches, and TRUNCATE has no row triggers.
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change('${message}')`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_checkpoints');
    await q.query('DROP TABLE audit_events');
    await q.query('DROP FUNCTION audit_refuse_change()');
  }
}
