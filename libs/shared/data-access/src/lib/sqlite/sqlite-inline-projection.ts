import type { DomainEventType, RecordedEvent } from '@m2m-trust/shared-events';

/**
 * A read model kept in the same SQLite transaction as the events it is built
 * from: it can never disagree with the event store, even across a crash.
 * `apply` runs synchronously inside the append transaction; throwing rolls
 * back that append alone.
 */
export interface SqliteInlineProjection {
  readonly name: string;
  readonly handles: readonly DomainEventType[];
  apply(event: RecordedEvent): void;
}

/**
 * A read model kept behind the event store rather than in its transaction:
 * handed each committed batch, in position order, synchronously after the
 * commit and before any caller is answered. It must not throw (a follower
 * that cannot keep up catches up from the store by itself) and must be
 * able to resume from the store after a crash, since a batch it was handed
 * is not durable until it says so.
 */
export interface SqliteStoreFollower {
  follow(events: readonly RecordedEvent[]): void;
}
