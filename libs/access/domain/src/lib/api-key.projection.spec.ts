import type { ApiKeyEvent, RecordedEvent } from '@m2m-trust/shared-events';

import { apiKeyStatus, evolveApiKeyView } from './api-key.projection';

const recorded = (event: ApiKeyEvent, streamVersion: number, position: number): RecordedEvent<ApiKeyEvent> => ({
  ...event,
  metadata: {},
  eventId: `e${position}`,
  streamId: `api-key-${event.data.apiKeyId}`,
  streamVersion,
  position,
  recordedAt: '2026-11-21T08:00:00.000Z',
  schemaVersion: 1,
});

const created = recorded(
  {
    type: 'ApiKeyCreated',
    data: { apiKeyId: 'k1', name: 'ops', scopes: ['keys:admin'], expiresAt: '2026-12-01T00:00:00.000Z', secretHash: 'f'.repeat(64), createdAt: '2026-11-21T08:00:00.000Z' },
  },
  1,
  7,
);
const revoked = recorded({ type: 'ApiKeyRevoked', data: { apiKeyId: 'k1', reason: null, revokedAt: '2026-11-22T08:00:00.000Z' } }, 2, 9);

describe('API key view', () => {
  it('is created by ApiKeyCreated and marked by ApiKeyRevoked', () => {
    const view = evolveApiKeyView(evolveApiKeyView(null, created), revoked);
    expect(view).toMatchObject({ apiKeyId: 'k1', revokedAt: '2026-11-22T08:00:00.000Z', version: 2, createdPosition: 7 });
  });

  it('ignores a replayed event', () => {
    const view = evolveApiKeyView(evolveApiKeyView(null, created), revoked);
    expect(evolveApiKeyView(view, created)).toBe(view);
  });

  it('reads the status against the time: active, then expired at expiresAt; revoked wins', () => {
    const view = evolveApiKeyView(null, created)!;
    expect(apiKeyStatus(view, new Date('2026-11-30T23:59:59.999Z'))).toBe('active');
    expect(apiKeyStatus(view, new Date('2026-12-01T00:00:00.000Z'))).toBe('expired');
    expect(apiKeyStatus({ ...view, expiresAt: null }, new Date('2099-01-01T00:00:00Z'))).toBe('active');
    expect(apiKeyStatus(evolveApiKeyView(view, revoked)!, new Date('2026-11-23T00:00:00Z'))).toBe('revoked');
  });
});
