import type { QueryScheduleSpec, QuerySubscription } from '@m2m-trust/audit-domain';

/** A row of `epcis_query_subscriptions`, as either store's driver returns it. */
export interface QuerySubscriptionRow {
  readonly subscription_id: string;
  readonly query_name: string;
  readonly dest: string;
  readonly signature_token: string | null;
  readonly initial_record_time: string;
  readonly created_at: string;
  readonly last_notified_at: string | null;
  /** PostgreSQL's `bigint` comes back as a string. */
  readonly checkpoint: number | string;
  /** The QuerySchedule's field strings as JSON; null for a stream. */
  readonly schedule: string | null;
  /** SQLite answers 0 or 1, PostgreSQL a boolean. */
  readonly report_if_empty: number | boolean;
  readonly last_run_at: string | null;
}

export const QUERY_SUBSCRIPTION_COLUMNS = 
  'subscription_id, query_name, dest, signature_token, initial_record_time, created_at, last_notified_at, checkpoint, schedule, report_if_empty, last_run_at';

export const toQuerySubscription = (row: QuerySubscriptionRow): QuerySubscription => ({
  subscriptionID: row.subscription_id,
  queryName: row.query_name,
  dest: row.dest,
  signatureToken: row.signature_token,
  initialRecordTime: row.initial_record_time,
  createdAt: row.created_at,
  lastNotifiedAt: row.last_notified_at,
  checkpoint: Number(row.checkpoint),
  schedule: row.schedule === null ? null : (JSON.parse(row.schedule) as QueryScheduleSpec),
  reportIfEmpty: Boolean(row.report_if_empty),
  lastRunAt: row.last_run_at,
});

/** The schedule column's value. */
export const scheduleColumn = (s: QuerySubscription): string | null => (s.schedule === null ? null : JSON.stringify(s.schedule));
