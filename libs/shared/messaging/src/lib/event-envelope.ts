import { type DomainEventType, EventCatalog, partitionKeyOf, type RecordedEvent } from '@m2m-trust/shared-events';

import { isKnownEventType, topicFor, type TopicOptions } from './event-topics';
import { MessagingError, MessagingErrorCode, type MessagingErrorDetails } from './messaging.error';

/** Headers every event message carries, so a consumer can route or refuse it without parsing the value. */
export const EventHeader = {
  Type: 'm2m-event-type',
  SchemaVersion: 'm2m-schema-version',
  EventId: 'm2m-event-id',
} as const;
export type EventHeader = (typeof EventHeader)[keyof typeof EventHeader];

/** A RecordedEvent as one Kafka message. */
export interface EventEnvelope {
  readonly topic: string;
  /** The device id: Kafka keeps one key on one partition, so a device's events stay in order. */
  readonly key: string;
  /** JSON of the whole RecordedEvent, schemaVersion included. */
  readonly value: string;
  readonly headers: Readonly<Record<EventHeader, string>>;
}

type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;

/** A message as a Kafka client hands it over; where it was read from is optional and only used in errors. */
export interface IncomingEventMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

export function encodeEvent(event: RecordedEvent, options: TopicOptions = {}): EventEnvelope {
  if (!isKnownEventType(event.type)) {
    throw new MessagingError(MessagingErrorCode.UnknownEventType, `Event ${event.eventId} has the unknown type ${event.type}`, {
      eventId: event.eventId,
      eventType: event.type,
      schemaVersion: event.schemaVersion,
    });
  }
  const known = EventCatalog[event.type].schemaVersion;
  if (!isPositiveInteger(event.schemaVersion) || event.schemaVersion > known) {
    // Publishing it would stop every consumer of this build; refuse at the source instead.
    throw unsupportedVersion(event.eventId, event.type, event.schemaVersion, known, {});
  }
  return {
    topic: topicFor(event.type, options),
    key: partitionKeyOf(event),
    value: JSON.stringify(event),
    headers: {
      [EventHeader.Type]: event.type,
      [EventHeader.SchemaVersion]: String(event.schemaVersion),
      [EventHeader.EventId]: event.eventId,
    },
  };
}

/**
 * Reads an event envelope back. Refuses, never drops: an unknown type, a
 * schema version newer than this build, or a message whose shape, headers and
 * key disagree each throw a MessagingError naming the event id and versions.
 */
export function decodeEvent(message: IncomingEventMessage): RecordedEvent {
  const where = { topic: message.topic, partition: message.partition, offset: message.offset };
  const headerType = readHeader(message.headers, EventHeader.Type);
  const headerVersion = readHeader(message.headers, EventHeader.SchemaVersion);
  const headerEventId = readHeader(message.headers, EventHeader.EventId);
  const malformed = (reason: string, details: MessagingErrorDetails = {}, cause?: unknown): MessagingError =>
    new MessagingError(
      MessagingErrorCode.MalformedEvent,
      `Malformed event message${describeWhere(where)}: ${reason}`,
      { eventId: headerEventId ?? null, eventType: headerType ?? null, ...where, ...details },
      cause === undefined ? undefined : { cause },
    );

  if (message.value === null) throw malformed('no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof message.value === 'string' ? message.value : message.value.toString('utf8'));
  } catch (error) {
    throw malformed('value is not JSON', {}, error);
  }
  if (!isRecord(parsed)) throw malformed('value is not a JSON object');

  const eventId = typeof parsed['eventId'] === 'string' ? parsed['eventId'] : (headerEventId ?? null);
  const type = parsed['type'];
  const schemaVersion = parsed['schemaVersion'];
  if (typeof type !== 'string') throw malformed('type is missing', { eventId });
  if (!isKnownEventType(type)) {
    throw new MessagingError(MessagingErrorCode.UnknownEventType, `Event ${eventId ?? '(no id)'} has the unknown type ${type}${describeWhere(where)}`, {
      eventId,
      eventType: type,
      schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : null,
      ...where,
    });
  }
  const known = EventCatalog[type].schemaVersion;
  if (!isPositiveInteger(schemaVersion)) throw malformed('schemaVersion is not a positive integer', { eventId, eventType: type, knownSchemaVersion: known });
  if (schemaVersion > known) throw unsupportedVersion(eventId, type, schemaVersion, known, where);

  const details = { eventId, eventType: type, schemaVersion, knownSchemaVersion: known };
  const problem = shapeProblem(parsed, type);
  if (problem !== null) throw malformed(problem, details);
  const event = parsed as unknown as RecordedEvent;
  if (headerType !== event.type) throw malformed(`header ${EventHeader.Type} disagrees with the value`, details);
  if (headerVersion !== String(event.schemaVersion)) throw malformed(`header ${EventHeader.SchemaVersion} disagrees with the value`, details);
  if (headerEventId !== event.eventId) throw malformed(`header ${EventHeader.EventId} disagrees with the value`, details);
  const key = message.key === null ? null : typeof message.key === 'string' ? message.key : message.key.toString('utf8');
  if (key !== partitionKeyOf(event)) throw malformed('key is not the partition key of the event', details);
  return event;
}

function unsupportedVersion(
  eventId: string | null,
  type: string,
  schemaVersion: unknown,
  known: number,
  where: Pick<MessagingErrorDetails, 'topic' | 'partition' | 'offset'>,
): MessagingError {
  const version = typeof schemaVersion === 'number' ? schemaVersion : null;
  return new MessagingError(
    MessagingErrorCode.UnsupportedSchemaVersion,
    `Event ${eventId ?? '(no id)'} of type ${type} has schema version ${String(schemaVersion)}; this build reads up to ${known}${describeWhere(where)}`,
    { eventId, eventType: type, schemaVersion: version, knownSchemaVersion: known, ...where },
  );
}

/** The envelope fields every RecordedEvent has; payloads beyond deviceId are the consumer's to read. */
/** The data field an event is keyed by on Kafka (partitionKeyOf): the device's id, or an API key event's key id. */
const keyFieldOf = (type: DomainEventType): 'apiKeyId' | 'deviceId' => (type === 'ApiKeyCreated' || type === 'ApiKeyRevoked' ? 'apiKeyId' : 'deviceId');

function shapeProblem(value: Record<string, unknown>, type: DomainEventType): string | null {
  const data = value['data'];
  if (!isRecord(data)) return 'data is not an object';
  const keyField = keyFieldOf(type);
  if (!isNonEmptyString(data[keyField])) return `data.${keyField} is missing`;
  const metadata = value['metadata'];
  if (!isRecord(metadata)) return 'metadata is not an object';
  for (const field of ['requestId', 'actor'] as const) {
    if (metadata[field] !== undefined && typeof metadata[field] !== 'string') return `metadata.${field} is not a string`;
  }
  for (const field of ['eventId', 'streamId', 'recordedAt'] as const) {
    if (!isNonEmptyString(value[field])) return `${field} is missing`;
  }
  if (!isPositiveInteger(value['streamVersion'])) return 'streamVersion is not a positive integer';
  if (!Number.isSafeInteger(value['position']) || (value['position'] as number) < 0) return 'position is not a non-negative integer';
  return null;
}

function readHeader(headers: IncomingEventMessage['headers'], name: EventHeader): string | undefined {
  const value = headers?.[name];
  if (value === undefined || Array.isArray(value)) return undefined;
  return typeof value === 'string' ? value : (value as Buffer).toString('utf8');
}

function describeWhere(where: Pick<MessagingErrorDetails, 'topic' | 'partition' | 'offset'>): string {
  return where.topic === undefined ? '' : ` (${where.topic}[${where.partition ?? '?'}]@${where.offset ?? '?'})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}
