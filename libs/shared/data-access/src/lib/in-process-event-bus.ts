import type { EventBus, EventHandler } from '@m2m-trust/shared-contracts';
import type { DomainEventType, RecordedEvent } from '@m2m-trust/shared-events';

/**
 * The embedded default's bus: committed events reach subscribers in the same
 * process, in commit order, before the appending caller is answered. A failing
 * subscriber is reported and does not stop the others.
 */
export class InProcessEventBus implements EventBus {
  private readonly handlers = new Map<DomainEventType, Set<EventHandler>>();

  constructor(private readonly onError: (error: unknown, event: RecordedEvent) => void) {}

  async publish(events: readonly RecordedEvent[]): Promise<void> {
    for (const event of events) {
      for (const handler of this.handlers.get(event.type) ?? []) {
        try {
          const result = handler(event);
          if (result instanceof Promise) result.catch((error: unknown) => this.onError(error, event));
        } catch (error) {
          this.onError(error, event);
        }
      }
    }
  }

  subscribe(types: readonly DomainEventType[], handler: EventHandler): () => void {
    for (const type of types) {
      const set = this.handlers.get(type) ?? new Set();
      set.add(handler);
      this.handlers.set(type, set);
    }
    return () => types.forEach((type) => this.handlers.get(type)?.delete(handler));
  }
}
