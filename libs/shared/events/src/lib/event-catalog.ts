import type { DomainEventType } from './domain-event';

/**
 * The one typed registry of event types: which topic carries them, the schema
 * version of their payload, and the stream they belong to. Topics are keyed by
 * device id so each device's events stay in order.
 */
export const EventCatalog = {
  DeviceRegistered: { topic: 'm2m.registry.device.v1', schemaVersion: 1 },
  DeviceRevoked: { topic: 'm2m.registry.device.v1', schemaVersion: 1 },
  ChallengeIssued: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1 },
  DeviceAuthenticated: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1 },
  DeviceAuthenticationFailed: { topic: 'm2m.challenge.challenge.v1', schemaVersion: 1 },
} as const satisfies Record<DomainEventType, { topic: string; schemaVersion: number }>;

export const deviceStreamId = (deviceId: string): string => `device-${deviceId}`;
export const challengeStreamId = (challengeId: string): string => `challenge-${challengeId}`;
