import { type DomainEventType,EventCatalog } from '@m2m-trust/shared-events';

export interface TopicOptions {
  /**
   * Prepended to every catalog topic, so environments or parallel test suites
   * can share one broker without reading each other's events.
   */
  readonly topicPrefix?: string;
}

export function isKnownEventType(type: string): type is DomainEventType {
  return Object.hasOwn(EventCatalog, type);
}

export function topicFor(type: DomainEventType, options: TopicOptions = {}): string {
  return `${options.topicPrefix ?? ''}${EventCatalog[type].topic}`;
}

/** The distinct topics carrying the given types, in catalog order. */
export function topicsFor(types: readonly DomainEventType[], options: TopicOptions = {}): string[] {
  return [...new Set(types.map((type) => topicFor(type, options)))];
}

/** Every topic the catalog names. */
export function catalogTopics(options: TopicOptions = {}): string[] {
  return topicsFor(Object.keys(EventCatalog) as DomainEventType[], options);
}
