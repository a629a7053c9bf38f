import type { QuerySubscription } from '@m2m-trust/audit-domain';
import type { PgExecutor } from '@m2m-trust/shared-postgres';

import type { QuerySubscriptionPage, QuerySubscriptionRepository } from '../query-subscription.repository';
import { QUERY_SUBSCRIPTION_COLUMNS, type QuerySubscriptionRow, scheduleColumn, toQuerySubscription } from '../query-subscription-row';

const FOREIGN_KEY_VIOLATION = '23503';

/** Webhook subscriptions in the audit service's schema. */
export class PostgresQuerySubscriptionRepository implements QuerySubscriptionRepository {
  constructor(private readonly db: PgExecutor) {}

  async create(s: QuerySubscription): Promise<boolean> {
    try {
      await this.db.query(`INSERT INTO epcis_query_subscriptions (${QUERY_SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, NULL)`, [
        s.subscriptionID,
        s.queryName,
        s.dest,
        s.signatureToken,
        s.initialRecordTime,
        s.createdAt,
        s.checkpoint,
        scheduleColumn(s),
        s.reportIfEmpty,
      ]);
      return true;
    } catch (error) {
      // The query is gone (or was never there): the foreign key decides, even against a concurrent delete.
      if ((error as { code?: unknown }).code === FOREIGN_KEY_VIOLATION) return false;
      throw error;
    }
  }

  async find(subscriptionID: string): Promise<QuerySubscription | null> {
    const { rows } = await this.db.query<QuerySubscriptionRow>(`SELECT ${QUERY_SUBSCRIPTION_COLUMNS} FROM epcis_query_subscriptions WHERE subscription_id = $1`, [subscriptionID]);
    return rows[0] ? toQuerySubscription(rows[0]) : null;
  }

  async list(queryName: string, after: string | null, limit: number): Promise<QuerySubscriptionPage> {
    const { rows } = await this.db.query<QuerySubscriptionRow>(
      `SELECT ${QUERY_SUBSCRIPTION_COLUMNS} FROM epcis_query_subscriptions WHERE query_name = $1 AND subscription_id > $2 ORDER BY subscription_id LIMIT $3`,
      [queryName, after ?? '', limit + 1],
    );
    const items = rows.slice(0, limit).map(toQuerySubscription);
    return { items, nextAfter: rows.length > limit ? (items[items.length - 1]?.subscriptionID ?? null) : null };
  }

  async all(): Promise<readonly QuerySubscription[]> {
    const { rows } = await this.db.query<QuerySubscriptionRow>(`SELECT ${QUERY_SUBSCRIPTION_COLUMNS} FROM epcis_query_subscriptions ORDER BY subscription_id`);
    return rows.map(toQuerySubscription);
  }

  async delete(queryName: string, subscriptionID: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM epcis_query_subscriptions WHERE query_name = $1 AND subscription_id = $2', [queryName, subscriptionID]);
    return rowCount === 1;
  }

  async acknowledge(subscriptionID: string, upTo: number, at: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE epcis_query_subscriptions SET checkpoint = GREATEST(checkpoint, $1), last_notified_at = $2 WHERE subscription_id = $3',
      [upTo, at, subscriptionID],
    );
    return rowCount === 1;
  }

  async ran(subscriptionID: string, upTo: number, ranAt: string, notifiedAt: string | null): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE epcis_query_subscriptions SET checkpoint = GREATEST(checkpoint, $1), last_run_at = $2, last_notified_at = COALESCE($3, last_notified_at) WHERE subscription_id = $4',
      [upTo, ranAt, notifiedAt, subscriptionID],
    );
    return rowCount === 1;
  }
}
