import { assertUnreachable } from '@m2m-trust/shared-domain';
import type { ApiKeyEvent, ApiKeyScope, RecordedEvent } from '@m2m-trust/shared-events';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** An API key as the service keeps it: the read model behind GET /v1/api-keys and the key check. */
export interface ApiKeyView {
  readonly apiKeyId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Never leaves the service: the key check compares against it. */
  readonly secretHash: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
  /** Stream version the view reflects; replays of older events are ignored. */
  readonly version: number;
  /** Store position of the creation: the list's stable sort key. */
  readonly createdPosition: number;
}

export const apiKeyProjectionHandles = ['ApiKeyCreated', 'ApiKeyRevoked'] as const;

/** Idempotent by stream version: an event at or below the view's version changes nothing. */
export function evolveApiKeyView(view: ApiKeyView | null, event: RecordedEvent<ApiKeyEvent>): ApiKeyView | null {
  if (view && event.streamVersion <= view.version) return view;
  switch (event.type) {
    case 'ApiKeyCreated':
      return {
        apiKeyId: event.data.apiKeyId,
        name: event.data.name,
        scopes: event.data.scopes,
        secretHash: event.data.secretHash,
        createdAt: event.data.createdAt,
        expiresAt: event.data.expiresAt,
        revokedAt: null,
        revocationReason: null,
        version: event.streamVersion,
        createdPosition: event.position,
      };
    case 'ApiKeyRevoked':
      return view ? { ...view, revokedAt: event.data.revokedAt, revocationReason: event.data.reason, version: event.streamVersion } : null;
    default:
      return assertUnreachable(event);
  }
}

/** Expiry is a matter of time, not of an event: the status is read against `now`. */
export function apiKeyStatus(view: Pick<ApiKeyView, 'expiresAt' | 'revokedAt'>, now: Date): ApiKeyStatus {
  if (view.revokedAt !== null) return 'revoked';
  if (view.expiresAt !== null && Date.parse(view.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}
