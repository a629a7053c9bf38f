import { AUDITED_EVENT_TYPES, type ChainTail, type EpcisObjectEvent, GENESIS_HASH, toEpcisEvent } from '@m2m-trust/audit-domain';
import type { RecordedEvent } from '@m2m-trust/shared-events';
import type { PgExecutor, PostgresProjection } from '@m2m-trust/shared-postgres';

import { type AuditRecordRow } from '../audit-record-row';
import { foldRecords } from '../audit-tree-rows';
import { backfillPostgresAuditTree, insertTreeRows } from './postgres-audit-tree';

/** A record a call appended, for whoever pushes new events to subscribers once the transaction commits. */
export interface AppendedAuditRecord {
  readonly seq: number;
  readonly event: EpcisObjectEvent;
}

/**
 * Serialises writers of one log: a transaction-scoped advisory lock keyed by
 * the table's oid, so it is the lock of exactly the table the inserts resolve
 * to, in whatever schema. Takes no table privilege (a LOCK TABLE strong enough
 * would need UPDATE or DELETE, which the service role must not have) and does
 * not block readers. The isolation level comes back with it: the head must be
 * read by a statement that starts after the lock is held.
 */
const LOCK_CHAIN = `SELECT pg_advisory_xact_lock(hashtext('m2m-trust:audit-chain'), 'audit_events'::regclass::oid::int4),
  current_setting('transaction_isolation') AS isolation`;

const HEAD_AND_SEEN = `WITH head AS (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1)
  SELECT (SELECT seq FROM head) AS seq, (SELECT hash FROM head) AS hash,
    ARRAY(SELECT source_event_id FROM audit_events WHERE source_event_id = ANY($1::text[])) AS seen`;

/** One round trip for the records of the whole batch (and one for its tree rows): one array per column, zipped back into rows by unnest. */
const INSERT_RECORDS = `INSERT INTO audit_events (seq, prev_hash, hash, event_id, source_event_id, event_type, event_time, record_time,
    action, biz_step, disposition, epc, reason, challenge_id, key_thumbprint, actor, request_id, method, document)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::json[])`;

const COLUMNS: AuditRecordRow['length'] = 19;

/**
 * The audit service's writer of the EPCIS audit log, fed from Kafka in the
 * consumer's offset-guarded transaction. Chains records exactly as the
 * embedded log's follower does (nextChainLink over the same document, rows
 * as AuditRecordRow), so /epcis/chain/verify and the offline verifier work
 * unchanged.
 *
 * Idempotent by source event id: an event delivered twice, in one batch or
 * two, is recorded once. Correct with several instances writing one log:
 * each batch takes the chain lock, then reads the head and what is already
 * recorded, so seq and prev_hash never fork (and the primary key on seq would
 * refuse a fork outright). Must run inside a READ COMMITTED transaction
 * (the lock is released at commit); anything else is refused.
 */
export class PostgresAuditLogWriter implements PostgresProjection {
  readonly name = 'audit.log';
  readonly handles = AUDITED_EVENT_TYPES;

  async apply(tx: PgExecutor, event: RecordedEvent): Promise<void> {
    await this.applyBatch(tx, [event]);
  }

  /** Appends a consumer batch in five round trips, whatever its size; returns what it appended, in order. */
  async applyBatch(tx: PgExecutor, events: readonly RecordedEvent[]): Promise<readonly AppendedAuditRecord[]> {
    const candidates = new Map<string, EpcisObjectEvent>();
    for (const event of events) {
      if (candidates.has(event.eventId)) continue;
      const epcis = toEpcisEvent(event);
      if (epcis) candidates.set(event.eventId, epcis);
    }
    if (candidates.size === 0) return [];

    const { rows: locked } = await tx.query<{ isolation: string }>(LOCK_CHAIN);
    if (locked[0]?.isolation !== 'read committed') {
      throw new Error(`the audit log is written in READ COMMITTED transactions only (got ${locked[0]?.isolation}): a snapshot older than the chain lock could fork the chain`);
    }
    const { rows } = await tx.query<{ seq: string | null; hash: string | null; seen: string[] }>(HEAD_AND_SEEN, [[...candidates.keys()]]);
    const head = rows[0];
    for (const seen of head?.seen ?? []) candidates.delete(seen);
    if (candidates.size === 0) return [];

    const tail: ChainTail = { seq: Number(head?.seq ?? 0), hash: head?.hash ?? GENESIS_HASH };
    // Under the lock, the stored tree's right edge (built first for records from before the tree).
    const frontier = await backfillPostgresAuditTree(tx, tail.seq);
    const { rows: records, tree } = foldRecords(tail, frontier, candidates);
    const columns: unknown[][] = Array.from({ length: COLUMNS }, () => []);
    const recorded = [...candidates.values()];
    const appended: AppendedAuditRecord[] = [];
    records.forEach((row, r) => {
      row.forEach((value, i) => (columns[i] as unknown[]).push(value));
      appended.push({ seq: row[0], event: recorded[r] as EpcisObjectEvent });
    });
    await tx.query(INSERT_RECORDS, columns);
    await insertTreeRows(tx, tree);
    return appended;
  }
}
