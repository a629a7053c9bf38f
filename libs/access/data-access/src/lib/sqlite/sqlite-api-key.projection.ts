import { apiKeyProjectionHandles, type ApiKeyView, evolveApiKeyView } from '@m2m-trust/access-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access/sqlite';
import type { ApiKeyEvent, ApiKeyScope, RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import type { ApiKeyReadRepository } from '../api-key.repository';

interface ApiKeyRow {
  api_key_id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
  version: number;
  created_position: number;
}

const toView = (row: ApiKeyRow): ApiKeyView => ({
  apiKeyId: row.api_key_id,
  name: row.name,
  scopes: JSON.parse(row.scopes) as ApiKeyScope[],
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  revocationReason: row.revocation_reason,
  version: row.version,
  createdPosition: row.created_position,
});

/**
 * The API keys, kept inline with the event store: a key exists for the key
 * check the moment its ApiKeyCreated commits, and is refused the moment its
 * ApiKeyRevoked does, in the same transaction.
 */
export class SqliteApiKeyProjection implements SqliteInlineProjection, ApiKeyReadRepository {
  readonly name = 'access.api-keys';
  readonly handles = apiKeyProjectionHandles;
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE api_key_id = ?'),
      list: db.prepare<[], ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_position'),
      upsert: db.prepare(`INSERT INTO api_keys (api_key_id, name, scopes, secret_hash, created_at, expires_at, revoked_at, revocation_reason, version, created_position)
        VALUES (@apiKeyId, @name, @scopes, @secretHash, @createdAt, @expiresAt, @revokedAt, @revocationReason, @version, @createdPosition)
        ON CONFLICT(api_key_id) DO UPDATE SET revoked_at = excluded.revoked_at, revocation_reason = excluded.revocation_reason, version = excluded.version`),
    };
  }

  apply(event: RecordedEvent): void {
    const apiKeyEvent = event as RecordedEvent<ApiKeyEvent>;
    const current = this.s.get.get(apiKeyEvent.data.apiKeyId);
    const next = evolveApiKeyView(current ? toView(current) : null, apiKeyEvent);
    if (!next || next.version === current?.version) return;
    this.s.upsert.run({ ...next, scopes: JSON.stringify(next.scopes) });
  }

  async get(apiKeyId: string): Promise<ApiKeyView | null> {
    const row = this.s.get.get(apiKeyId);
    return row ? toView(row) : null;
  }

  async list(): Promise<readonly ApiKeyView[]> {
    return this.s.list.all().map(toView);
  }
}
