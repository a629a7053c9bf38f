import type { ApiKeyEvent } from './access.events';
import type { ChallengeEvent } from './challenge.events';
import type { DeviceEvent } from './device.events';

export type DomainEvent = DeviceEvent | ChallengeEvent | ApiKeyEvent;
export type DomainEventType = DomainEvent['type'];

/** Who caused an event, and under which request; never secrets. */
export interface EventMetadata {
  readonly requestId?: string;
  /** `api-key:<id>` for operators, `device:<id>` for devices. */
  readonly actor?: string;
}

export type NewEvent<E extends DomainEvent = DomainEvent> = E & { readonly metadata: EventMetadata };

/** An event as the store recorded it. */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = NewEvent<E> & {
  readonly eventId: string;
  readonly streamId: string;
  /** 1-based position of the event in its stream. */
  readonly streamVersion: number;
  /** Position in the store's total order (the outbox order). */
  readonly position: number;
  readonly recordedAt: string;
  readonly schemaVersion: number;
};
