import { type Decider, ErrorCode, isDomainError } from '@m2m-trust/shared-domain';
import type { DomainEvent, EventMetadata, NewEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type { EventStore, ExpectedVersion, StreamCondition } from './event-store.port';

export interface Decided<State, Event extends DomainEvent = DomainEvent> {
  readonly state: State;
  /** What this call appended, as recorded; none when nothing was decided. */
  readonly events: readonly RecordedEvent<Event>[];
  readonly version: number;
}

/** A stream folded: its state and the version that state was read at. */
export interface StreamState<State> {
  readonly state: State;
  readonly version: number;
}

/** What one attempt decides: the command, and the other streams the command was built from. */
export interface Attempt<Command> {
  readonly command: Command;
  /** The append commits only while each of these streams still stands at its version (e.g. the device a verify read). */
  readonly conditions?: readonly StreamCondition[];
}

/**
 * Builds an attempt's command from the state it decides on (attempts count from 1), reading what the command
 * needs besides (credentials, lockouts) afresh each time; null when there is nothing to decide on this state.
 */
export type AttemptFactory<Command, State> = (state: State, attempt: number) => Attempt<Command> | null | Promise<Attempt<Command> | null>;

export interface DecideAndAppendOptions<State> {
  /** The stream as the caller holds it already (e.g. a challenge this instance issued): the first attempt decides on it without reading; a retry reads. */
  readonly preloaded?: StreamState<State>;
  /** The version the append expects, from the state decided on; the version read unless said otherwise. */
  readonly expectedVersion?: (state: State, version: number) => ExpectedVersion;
  /** Before deciding again after a version conflict: drop what may have been stale (a cache of another stream). */
  readonly onConflict?: (state: State) => void;
  /** How many times to decide in all; 3 unless said otherwise. */
  readonly attempts?: number;
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
  command: Command | AttemptFactory<Command, State>,
  metadata: EventMetadata | ((state: State) => EventMetadata),
  options: DecideAndAppendOptions<State> = {},
): Promise<Decided<State, Event>> {
  const attempts = options.attempts ?? 3;
  let preloaded = options.preloaded;
  for (let attempt = 1; ; attempt++) {
    const { state, version } = preloaded ?? (await load(store, streamId, decider));
    preloaded = undefined;
    const next =
      typeof command === 'function' ? await (command as AttemptFactory<Command, State>)(state, attempt) : ({ command } satisfies Attempt<Command>);
    if (next === null) return { state, events: [], version };
    const decided = decider.decide(next.command, state);
    if (decided.length === 0) return { state, events: [], version };
    const meta = typeof metadata === 'function' ? metadata(state) : metadata;
    try {
      const result = await store.appendToStream(
        streamId,
        options.expectedVersion ? options.expectedVersion(state, version) : version,
        decided.map((event) => ({ ...event, metadata: meta }) as NewEvent),
        next.conditions ? { conditions: next.conditions } : undefined,
      );
      return {
        state: decided.reduce(decider.evolve, state),
        events: result.events as readonly RecordedEvent<Event>[],
        version: result.nextExpectedVersion,
      };
    } catch (error) {
      if (attempt >= attempts || !isDomainError(error) || error.code !== ErrorCode.ConcurrencyConflict) throw error;
      options.onConflict?.(state);
    }
  }
}

async function load<Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<never, Event, State>, 'initialState' | 'evolve'>,
): Promise<StreamState<State>> {
  const { version, events } = await store.readStream<Event>(streamId);
  return { state: events.reduce(decider.evolve, decider.initialState), version };
}
