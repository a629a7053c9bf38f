// Test helper shared by the API key projection specs: create and revoke keys through the real decider and event store.
import { apiKeyDecider } from '@m2m-trust/access-domain';
import { type Clock, decideAndAppend, type EventStore } from '@m2m-trust/shared-contracts';
import { apiKeyStreamId } from '@m2m-trust/shared-events';

export const clock: Clock = { now: () => new Date('2026-11-21T08:00:00.000Z') };
export const HASH = 'c'.repeat(64);
export const meta = { actor: 'api-key:admin', requestId: 'r1' };

/** Commands against one store: `create` a key (devices:read, no expiry unless overridden), `revoke` it. */
export function apiKeyCommands(store: () => EventStore) {
  return {
    create: (apiKeyId: string, overrides: Record<string, unknown> = {}) =>
      decideAndAppend(
        store(),
        apiKeyStreamId(apiKeyId),
        apiKeyDecider,
        {
          type: 'CreateApiKey',
          data: { apiKeyId, name: `key ${apiKeyId}`, scopes: ['devices:read'], expiresAt: null, secretHash: HASH, now: clock.now().toISOString(), ...overrides },
        },
        meta,
      ),
    revoke: (apiKeyId: string) =>
      decideAndAppend(store(), apiKeyStreamId(apiKeyId), apiKeyDecider, { type: 'RevokeApiKey', data: { apiKeyId, reason: 'rotated', now: '2026-11-22T08:00:00.000Z' } }, meta),
  };
}
