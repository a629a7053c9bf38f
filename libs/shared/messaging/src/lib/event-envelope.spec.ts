import { EventCatalog, type RecordedEvent } from '@m2m-trust/shared-events';

import { decodeEvent, encodeEvent, type EventEnvelope, EventHeader, type IncomingEventMessage } from './event-envelope';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { challengeIssued, deviceRegistered, deviceRevoked, eventIdFor } from './testing/recorded-event.builder';

/** The envelope as kafkajs hands it to a consumer: key, value and headers as Buffers. */
function received(envelope: EventEnvelope, overrides: Partial<IncomingEventMessage> = {}): IncomingEventMessage {
  return {
    key: Buffer.from(envelope.key),
    value: Buffer.from(envelope.value),
    headers: Object.fromEntries(Object.entries(envelope.headers).map(([name, value]) => [name, Buffer.from(value)])),
    topic: envelope.topic,
    partition: 2,
    offset: '41',
    ...overrides,
  };
}

/** An envelope as a build that knows other types or versions would write it. */
function rewritten(event: RecordedEvent, patch: Record<string, unknown>): IncomingEventMessage {
  const envelope = encodeEvent(event);
  const value = { ...(JSON.parse(envelope.value) as Record<string, unknown>), ...patch };
  return received(envelope, {
    value: Buffer.from(JSON.stringify(value)),
    headers: {
      [EventHeader.Type]: String(value['type']),
      [EventHeader.SchemaVersion]: String(value['schemaVersion']),
      [EventHeader.EventId]: String(value['eventId']),
    },
  });
}

function refusal(message: IncomingEventMessage): MessagingError {
  try {
    decodeEvent(message);
  } catch (error) {
    if (error instanceof MessagingError) return error;
    throw error;
  }
  throw new Error('decodeEvent accepted the message');
}

describe('event envelope', () => {
  it('round-trips every field of a recorded event', () => {
    for (const event of [deviceRegistered('dev-1', 1), deviceRevoked('dev-1', 2, 2), challengeIssued('dev-1', 'ch-1', 3)]) {
      expect(decodeEvent(received(encodeEvent(event)))).toEqual(event);
    }
  });

  it('accepts key, value and headers as strings too', () => {
    const envelope = encodeEvent(deviceRegistered('dev-1', 1));
    expect(decodeEvent({ key: envelope.key, value: envelope.value, headers: envelope.headers })).toEqual(deviceRegistered('dev-1', 1));
  });

  it('keys by device id, whichever stream the event belongs to, and names the catalog topic', () => {
    const registered = encodeEvent(deviceRegistered('dev-7', 1));
    const issued = encodeEvent(challengeIssued('dev-7', 'ch-9', 2), { topicPrefix: 'run42.' });
    expect(registered.key).toBe('dev-7');
    expect(issued.key).toBe('dev-7');
    expect(registered.topic).toBe(EventCatalog.DeviceRegistered.topic);
    expect(issued.topic).toBe(`run42.${EventCatalog.ChallengeIssued.topic}`);
  });

  it('keys API key events by key id on the access topic, and reads them back; one without its key id is malformed', () => {
    const created: RecordedEvent = {
      eventId: eventIdFor(11),
      type: 'ApiKeyCreated',
      schemaVersion: 1,
      streamId: 'api-key-k1',
      streamVersion: 1,
      position: 11,
      recordedAt: '2026-11-21T08:00:00.000Z',
      data: { apiKeyId: 'k1', name: 'ci', scopes: ['devices:read'], expiresAt: null, secretHash: 'c'.repeat(64), createdAt: '2026-11-21T08:00:00.000Z' },
      metadata: { actor: 'api-key:admin' },
    };
    const envelope = encodeEvent(created);
    expect([envelope.key, envelope.topic]).toEqual(['k1', 'm2m.access.api-key.v1']);
    expect(decodeEvent(received(envelope))).toEqual(created);
    const keyless = rewritten(created, { data: { name: 'ci' } });
    expect(refusal({ ...keyless, key: Buffer.from('k1') }).message).toContain('data.apiKeyId is missing');
  });

  it('carries type, schema version and event id in headers and the whole event, schema version included, in the value', () => {
    const envelope = encodeEvent(deviceRevoked('dev-1', 2, 5));
    expect(envelope.headers).toEqual({ 'm2m-event-type': 'DeviceRevoked', 'm2m-schema-version': '1', 'm2m-event-id': eventIdFor(5) });
    expect(JSON.parse(envelope.value)).toEqual(deviceRevoked('dev-1', 2, 5));
  });

  it('refuses a schema version newer than this build knows, naming the event and both versions', () => {
    const error = refusal(rewritten(deviceRegistered('dev-1', 1), { schemaVersion: 2 }));
    expect(error.code).toBe(MessagingErrorCode.UnsupportedSchemaVersion);
    expect(error.details).toMatchObject({
      eventId: eventIdFor(1),
      eventType: 'DeviceRegistered',
      schemaVersion: 2,
      knownSchemaVersion: 1,
      partition: 2,
      offset: '41',
    });
    expect(error.message).toContain(eventIdFor(1));
    expect(error.message).toMatch(/schema version 2; this build reads up to 1/);
  });

  it('refuses a newer schema version even when its payload no longer looks like ours', () => {
    const error = refusal(rewritten(deviceRegistered('dev-1', 1), { schemaVersion: 3, data: { device: { id: 'dev-1' } } }));
    expect(error.code).toBe(MessagingErrorCode.UnsupportedSchemaVersion);
  });

  it('refuses an event type it does not know', () => {
    const error = refusal(rewritten(deviceRegistered('dev-1', 1), { type: 'DeviceRenamed' }));
    expect(error.code).toBe(MessagingErrorCode.UnknownEventType);
    expect(error.details).toMatchObject({ eventId: eventIdFor(1), eventType: 'DeviceRenamed', schemaVersion: 1 });
  });

  it('does not publish what it would refuse to read', () => {
    const future = { ...deviceRegistered('dev-1', 1), schemaVersion: 2 };
    const unknown = { ...deviceRegistered('dev-1', 1), type: 'DeviceRenamed' } as unknown as RecordedEvent;
    expect(() => encodeEvent(future)).toThrow(expect.objectContaining({ code: MessagingErrorCode.UnsupportedSchemaVersion }));
    expect(() => encodeEvent(unknown)).toThrow(expect.objectContaining({ code: MessagingErrorCode.UnknownEventType }));
  });

  it.each<[string, (envelope: EventEnvelope) => Partial<IncomingEventMessage>]>([
    ['a tombstone', () => ({ value: null })],
    ['a value that is not JSON', () => ({ value: Buffer.from('{"type":') })],
    ['a value that is not an object', () => ({ value: Buffer.from('[1]') })],
    ['a key other than the device id', () => ({ key: Buffer.from('dev-2') })],
    ['no key', () => ({ key: null })],
    ['no headers', () => ({ headers: {} })],
    ['a type header that disagrees', (envelope) => ({ headers: { ...envelope.headers, [EventHeader.Type]: 'DeviceRevoked' } })],
    ['a version header that disagrees', (envelope) => ({ headers: { ...envelope.headers, [EventHeader.SchemaVersion]: '2' } })],
    ['an event id header that disagrees', (envelope) => ({ headers: { ...envelope.headers, [EventHeader.EventId]: eventIdFor(9) } })],
  ])('refuses %s as malformed', (_, change) => {
    const envelope = encodeEvent(deviceRegistered('dev-1', 1));
    expect(refusal(received(envelope, change(envelope))).code).toBe(MessagingErrorCode.MalformedEvent);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no device id', { data: { label: 'x' } }],
    ['a schema version of 0', { schemaVersion: 0 }],
    ['a fractional stream version', { streamVersion: 1.5 }],
    ['a negative position', { position: -1 }],
    ['no event id', { eventId: '' }],
    ['metadata that is not an object', { metadata: 'x' }],
  ])('refuses an envelope with %s as malformed', (_, patch) => {
    expect(refusal(rewritten(deviceRegistered('dev-1', 1), patch)).code).toBe(MessagingErrorCode.MalformedEvent);
  });

  it('never puts the payload into a refusal', () => {
    const error = refusal(rewritten(deviceRegistered('dev-1', 1), { schemaVersion: 2 }));
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('ab'.repeat(32));
  });
});
