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
