import { type Decider, ErrorCode,isDomainError } from '@m2m-trust/shared-domain';
import type { DomainEvent, EventMetadata, NewEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type { EventStore, StreamCondition } from './event-store.port';

export interface Decided<State> {
  readonly state: State;
  readonly events: readonly RecordedEvent[];
  readonly version: number;
}

/**
 * The one shape of a command handler: load the stream, fold, decide, append
 * with the expected version. A version conflict means someone else decided in
 * between, so the handler decides again on fresh state, a bounded number of times.
 */
export async function decideAndAppend<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command | ((state: State) => Command),
  metadata: EventMetadata,
  options: { conditions?: () => Promise<readonly StreamCondition[]>; attempts?: number } = {},
): Promise<Decided<State>> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const { version, events: history } = await store.readStream<Event>(streamId);
    let state = decider.initialState;
    for (const event of history) state = decider.evolve(state, event);
    const cmd = typeof command === 'function' ? (command as (state: State) => Command)(state) : command;
    const decided = decider.decide(cmd, state);
    if (decided.length === 0) return { state, events: [], version };
    try {
      const conditions = options.conditions ? await options.conditions() : undefined;
      const result = await store.appendToStream(
        streamId,
        version,
        decided.map((event) => ({ ...event, metadata }) as NewEvent),
        conditions ? { conditions } : undefined,
      );
      for (const event of decided) state = decider.evolve(state, event);
      return { state, events: result.events, version: result.nextExpectedVersion };
    } catch (error) {
      if (attempt >= attempts || !isDomainError(error) || error.code !== ErrorCode.ConcurrencyConflict) throw error;
    }
  }
}
