import type { QuerySubscription } from '@m2m-trust/audit-domain';

export interface QuerySubscriptionPage {
  readonly items: readonly QuerySubscription[];
  /** The last subscription ID of the page when more may follow. */
  readonly nextAfter: string | null;
}

/**
 * Webhook subscriptions to named queries, with each one's delivery
 * checkpoint. Deleting a named query deletes its subscriptions in the same
 * statement (a trigger on SQLite, a cascading foreign key on PostgreSQL).
 */
export interface QuerySubscriptionRepository {
  /** False when the query it subscribes to does not exist (any more). */
  create(subscription: QuerySubscription): Promise<boolean>;
  find(subscriptionID: string): Promise<QuerySubscription | null>;
  /** A query's subscriptions in subscription ID order, after `after` (exclusive). */
  list(queryName: string, after: string | null, limit: number): Promise<QuerySubscriptionPage>;
  /** Every subscription, for the deliverer to start with. */
  all(): Promise<readonly QuerySubscription[]>;
  /** False when the query has no such subscription. */
  delete(queryName: string, subscriptionID: string): Promise<boolean>;
  /**
   * Records that the receiver acknowledged every matching event up to record
   * `upTo`. Never moves a checkpoint back; false when the subscription is gone.
   */
  acknowledge(subscriptionID: string, upTo: number, at: string): Promise<boolean>;
  /**
   * Records a scheduled run at `ranAt` that covered every matching event up
   * to record `upTo`; `notifiedAt` when the receiver acknowledged its report
   * (null: an empty result that was not reported). False when the
   * subscription is gone.
   */
  ran(subscriptionID: string, upTo: number, ranAt: string, notifiedAt: string | null): Promise<boolean>;
}

export const QUERY_SUBSCRIPTION_REPOSITORY = Symbol.for('m2m-trust.QuerySubscriptionRepository');
