import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The PostgreSQL twin of QuerySubscriptions1763700000800: webhook
 * subscriptions with their delivery checkpoints, deleted with their named
 * query by the cascading foreign key (which also refuses a subscription to a
 * query deleted concurrently).
 */
export class PostgresQuerySubscriptions1763700001340 implements MigrationInterface {
  readonly name = 'PostgresQuerySubscriptions1763700001340';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE epcis_query_subscriptions (
      subscription_id text COLLATE "C" PRIMARY KEY,
      query_name text COLLATE "C" NOT NULL REFERENCES epcis_named_queries (name) ON DELETE CASCADE,
      dest text NOT NULL,
      signature_token text,
      initial_record_time text NOT NULL,
      created_at text NOT NULL,
      last_notified_at text,
      checkpoint bigint NOT NULL
    )`);
    await q.query('CREATE INDEX epcis_query_subscriptions_query ON epcis_query_subscriptions (query_name, subscription_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE epcis_query_subscriptions');
  }
}
