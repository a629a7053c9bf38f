import type { DomainEventType, NewEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type { PgExecutor } from './postgres-database';

/**
 * A read model written in the same PostgreSQL transaction as the events it is
 * built from (or, fed from Kafka, as the consumer's offset-guarded transaction).
 * `apply` must be idempotent: at-least-once delivery may hand it an event twice.
 * Throwing rolls back the whole transaction.
 */
export interface PostgresProjection {
  readonly name: string;
  readonly handles: readonly DomainEventType[];
  /**
   * Narrows `handles` to the events that change the model, so an append of
   * events the model ignores keeps the store's one-statement path (a success
   * only matters to the lockout record when there is a record to clear).
   */
  appliesTo?(event: NewEvent): boolean;
  apply(tx: PgExecutor, event: RecordedEvent): Promise<void>;
}
