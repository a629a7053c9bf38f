import type { DomainEvent, NewEvent, RecordedEvent } from '@m2m-trust/shared-events';

export type ExpectedVersion = number | 'any';

/** A stream that must stand at exactly `version` (0: must not exist) for an append to commit. */
export interface StreamCondition {
  readonly streamId: string;
  readonly version: number;
}

export interface AppendOptions {
  /**
   * Other streams the decision was based on. The append commits only if each
   * still stands at the version that was read, so a decision never commits
   * against state that changed under it (e.g. a revocation racing a verify).
   */
  readonly conditions?: readonly StreamCondition[];
}

export interface StreamSlice<E extends DomainEvent = DomainEvent> {
  /** Number of events in the stream; 0 when it does not exist. */
  readonly version: number;
  readonly events: readonly RecordedEvent<E>[];
}

export interface AppendResult {
  readonly nextExpectedVersion: number;
  readonly events: readonly RecordedEvent[];
}

/**
 * Append-only store of domain events with per-stream versions and optimistic
 * concurrency. A resolved append is durable, and every inline projection and
 * audit record it implies was committed in the same transaction.
 */
export interface EventStore {
  readStream<E extends DomainEvent = DomainEvent>(streamId: string): Promise<StreamSlice<E>>;
  /**
   * `expectedVersion` is the stream's version the decision was based on (0: new
   * stream), or 'any' where the events are valid whatever came before (facts
   * recorded against a stream in a terminal state).
   */
  appendToStream(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
}

export const EVENT_STORE = Symbol.for('m2m-trust.EventStore');
