import { challengeStreamId, deviceStreamId, type RecordedEvent } from '@m2m-trust/shared-events';

/** uuid v7 in shape only: tests need distinct, readable ids rather than real timestamps. */
export const eventIdFor = (position: number): string => `0190f0f0-0000-7000-8000-${position.toString(16).padStart(12, '0')}`;

const at = (position: number): string => new Date(Date.UTC(2026, 10, 21, 8) + position * 1000).toISOString();

export function deviceRegistered(deviceId: string, position: number): RecordedEvent {
  return {
    type: 'DeviceRegistered',
    data: {
      deviceId,
      publicKey: 'ab'.repeat(32),
      keyThumbprint: 'thumbprint',
      label: `device ${deviceId}`,
      metadata: {},
      registeredAt: at(position),
    },
    metadata: { requestId: `req-${position}`, actor: 'api-key:test' },
    eventId: eventIdFor(position),
    streamId: deviceStreamId(deviceId),
    streamVersion: 1,
    position,
    recordedAt: at(position),
    schemaVersion: 1,
  };
}

export function deviceRevoked(deviceId: string, streamVersion: number, position: number): RecordedEvent {
  return {
    type: 'DeviceRevoked',
    data: { deviceId, reason: null, revokedAt: at(position) },
    metadata: {},
    eventId: eventIdFor(position),
    streamId: deviceStreamId(deviceId),
    streamVersion,
    position,
    recordedAt: at(position),
    schemaVersion: 1,
  };
}

export function challengeIssued(deviceId: string, challengeId: string, position: number): RecordedEvent {
  return {
    type: 'ChallengeIssued',
    data: { challengeId, deviceId, nonce: `nonce-${challengeId}`, issuedAt: at(position), expiresAt: at(position + 60) },
    metadata: {},
    eventId: eventIdFor(position),
    streamId: challengeStreamId(challengeId),
    streamVersion: 1,
    position,
    recordedAt: at(position),
    schemaVersion: 1,
  };
}

export function deviceAuthenticated(deviceId: string, challengeId: string, position: number): RecordedEvent {
  return {
    type: 'DeviceAuthenticated',
    data: { challengeId, deviceId, keyThumbprint: 'thumbprint', method: 'challenge-response', verifiedAt: at(position) },
    metadata: {},
    eventId: eventIdFor(position),
    streamId: challengeStreamId(challengeId),
    streamVersion: 2,
    position,
    recordedAt: at(position),
    schemaVersion: 1,
  };
}
