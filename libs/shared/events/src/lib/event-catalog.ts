import type { DomainEvent, DomainEventType } from './domain-event';

/**
 * The one typed registry of event types: which topic carries them, the schema
 * version of their payload, and the stream they belong to. Topics are keyed by
 * device id so each device's events stay in order.
 */
export const EventCatalog = {
  DeviceRegistered: { topic: 'm2m.registry.device.v1', schemaVersion: 1, published: true },
  DeviceRevoked: { topic: 'm2m.registry.device.v1', schemaVersion: 1, published: true },
  // The challenge service's own bookkeeping: no other service consumes it (the outcome is what is audited),
  // so the outbox relay leaves it in the service's log rather than paying a broker round trip per challenge.
  ChallengeIssued: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1, published: false },
  DeviceAuthenticated: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1, published: true },
  DeviceAuthenticationFailed: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1, published: true },
  DeviceLocked: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1, published: true },
  DeviceUnlocked: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1, published: true },
  ApiKeyCreated: { topic: 'm2m.access.api-key.v1', schemaVersion: 1, published: true },
  ApiKeyRevoked: { topic: 'm2m.access.api-key.v1', schemaVersion: 1, published: true },
} as const satisfies Record<DomainEventType, { topic: string; schemaVersion: number; published: boolean }>;

/**
 * The Kafka key of an event: the device id, so a device's events stay in one
 * partition and in order; an API key's events keep to their key the same way.
 */
export function partitionKeyOf(event: DomainEvent): string {
  return 'deviceId' in event.data ? event.data.deviceId : event.data.apiKeyId;
}

export const deviceStreamId = (deviceId: string): string => `device-${deviceId}`;
export const challengeStreamId = (challengeId: string): string => `challenge-${challengeId}`;
export const apiKeyStreamId = (apiKeyId: string): string => `api-key-${apiKeyId}`;
