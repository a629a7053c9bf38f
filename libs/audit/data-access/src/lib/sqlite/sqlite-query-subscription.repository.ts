import type { QuerySubscription } from '@m2m-trust/audit-domain';

import type Database from 'better-sqlite3';

import type { QuerySubscriptionPage, QuerySubscriptionRepository } from '../query-subscription.repository';
import { QUERY_SUBSCRIPTION_COLUMNS, type QuerySubscriptionRow, scheduleColumn, toQuerySubscription } from '../query-subscription-row';

/** Webhook subscriptions in the embedded database, beside the named queries. */
export class SqliteQuerySubscriptionRepository implements QuerySubscriptionRepository {
  private readonly insert;
  private readonly byId;
  private readonly page;
  private readonly every;
  private readonly remove;
  private readonly ack;
  private readonly run;

  constructor(db: Database.Database) {
    // One statement: the query exists when the row goes in (the embedded database has one writer, so no delete falls between).
    this.insert = db.prepare<[string, string, string, string | null, string, string, number, string | null, number, string]>(
      `INSERT INTO epcis_query_subscriptions (${QUERY_SUBSCRIPTION_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL WHERE EXISTS (SELECT 1 FROM epcis_named_queries WHERE name = ?)`,
    );
    this.byId = db.prepare<[string], QuerySubscriptionRow>(`SELECT ${QUERY_SUBSCRIPTION_COLUMNS} FROM epcis_query_subscriptions WHERE subscription_id = ?`);
    this.page = db.prepare<[string, string, number], QuerySubscriptionRow>(
      `SELECT ${QUERY_SUBSCRIPTION_COLUMNS} FROM epcis_query_subscriptions WHERE query_name = ? AND subscription_id > ? ORDER BY subscription_id LIMIT ?`,
    );
    this.every = db.prepare<[], QuerySubscriptionRow>(`SELECT ${QUERY_SUBSCRIPTION_COLUMNS} FROM epcis_query_subscriptions ORDER BY subscription_id`);
    this.remove = db.prepare<[string, string]>('DELETE FROM epcis_query_subscriptions WHERE query_name = ? AND subscription_id = ?');
    this.ack = db.prepare<[number, string, string]>(
      'UPDATE epcis_query_subscriptions SET checkpoint = MAX(checkpoint, ?), last_notified_at = ? WHERE subscription_id = ?',
    );
    this.run = db.prepare<[number, string, string | null, string]>(
      'UPDATE epcis_query_subscriptions SET checkpoint = MAX(checkpoint, ?), last_run_at = ?, last_notified_at = COALESCE(?, last_notified_at) WHERE subscription_id = ?',
    );
  }

  async create(s: QuerySubscription): Promise<boolean> {
    return this.insert.run(s.subscriptionID, s.queryName, s.dest, s.signatureToken, s.initialRecordTime, s.createdAt, s.checkpoint, scheduleColumn(s), s.reportIfEmpty ? 1 : 0, s.queryName)
      .changes === 1;
  }

  async find(subscriptionID: string): Promise<QuerySubscription | null> {
    const row = this.byId.get(subscriptionID);
    return row ? toQuerySubscription(row) : null;
  }

  async list(queryName: string, after: string | null, limit: number): Promise<QuerySubscriptionPage> {
    const rows = this.page.all(queryName, after ?? '', limit + 1);
    const items = rows.slice(0, limit).map(toQuerySubscription);
    return { items, nextAfter: rows.length > limit ? (items[items.length - 1]?.subscriptionID ?? null) : null };
  }

  async all(): Promise<readonly QuerySubscription[]> {
    return this.every.all().map(toQuerySubscription);
  }

  async delete(queryName: string, subscriptionID: string): Promise<boolean> {
    return this.remove.run(queryName, subscriptionID).changes === 1;
  }

  async acknowledge(subscriptionID: string, upTo: number, at: string): Promise<boolean> {
    return this.ack.run(upTo, at, subscriptionID).changes === 1;
  }

  async ran(subscriptionID: string, upTo: number, ranAt: string, notifiedAt: string | null): Promise<boolean> {
    return this.run.run(upTo, ranAt, notifiedAt, subscriptionID).changes === 1;
  }
}
