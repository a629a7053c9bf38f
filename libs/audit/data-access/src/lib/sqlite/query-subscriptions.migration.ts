import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook subscriptions to named queries (POST /epcis/queries/{name}/subscriptions),
 * each with the record sequence its receiver has acknowledged. They live with
 * the named queries, and go when their query goes: the trigger deletes them in
 * the query's own statement, so no delivery outlives its query.
 */
export class QuerySubscriptions1763700000800 implements MigrationInterface {
  readonly name = 'QuerySubscriptions1763700000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE epcis_query_subscriptions (
      subscription_id TEXT PRIMARY KEY,
      query_name TEXT NOT NULL,
      dest TEXT NOT NULL,
      signature_token TEXT,
      initial_record_time TEXT NOT NULL,
      created_at TEXT NOT NULL,
      last_notified_at TEXT,
      checkpoint INTEGER NOT NULL
    ) WITHOUT ROWID`);
    await q.query('CREATE INDEX epcis_query_subscriptions_query ON epcis_query_subscriptions (query_name, subscription_id)');
    await q.query(`CREATE TRIGGER epcis_named_queries_unsubscribe AFTER DELETE ON epcis_named_queries
      BEGIN DELETE FROM epcis_query_subscriptions WHERE query_name = old.name; END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER epcis_named_queries_unsubscribe');
    await q.query('DROP TABLE epcis_query_subscriptions');
  }
}
