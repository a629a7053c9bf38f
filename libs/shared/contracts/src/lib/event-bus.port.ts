import type { DomainEventType, RecordedEvent } from '@m2m-trust/shared-events';

export type EventHandler = (event: RecordedEvent) => void | Promise<void>;

/**
 * Delivers committed events to subscribers. In-process in the embedded
 * default; Kafka in distributed mode. Only committed events are published.
 */
export interface EventBus {
  publish(events: readonly RecordedEvent[]): Promise<void>;
  subscribe(types: readonly DomainEventType[], handler: EventHandler): () => void;
}

export const EVENT_BUS = Symbol.for('m2m-trust.EventBus');
