import { deviceProjectionHandles, type DeviceView, evolveDeviceView } from '@m2m-trust/registry-domain';
import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access/sqlite';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { DeviceEvent, DeviceStatus, RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import type { DevicePage, DeviceReadRepository } from '../device.repository';

interface DeviceRow {
  device_id: string;
  public_key: string;
  key_thumbprint: string;
  label: string;
  metadata: string;
  status: DeviceStatus;
  created_at: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  version: number;
  registered_position: number;
}

const toView = (row: DeviceRow): DeviceView => ({
  deviceId: row.device_id,
  publicKey: row.public_key,
  keyThumbprint: row.key_thumbprint,
  label: row.label,
  metadata: JSON.parse(row.metadata),
  status: row.status,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  revocationReason: row.revocation_reason,
  version: row.version,
  registeredPosition: row.registered_position,
});

/**
 * The device list, kept inline with the event store. Its UNIQUE public_key
 * column is what makes DUPLICATE_PUBLIC_KEY hold under concurrent registrations.
 */
export class SqliteDeviceProjection implements SqliteInlineProjection, DeviceReadRepository {
  readonly name = 'registry.devices';
  readonly handles = deviceProjectionHandles;
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE device_id = ?'),
      byKey: db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE public_key = ?'),
      upsert: db.prepare(`INSERT INTO devices (device_id, public_key, key_thumbprint, label, metadata, status, created_at, revoked_at, revocation_reason, version, registered_position)
        VALUES (@deviceId, @publicKey, @keyThumbprint, @label, @metadata, @status, @createdAt, @revokedAt, @revocationReason, @version, @registeredPosition)
        ON CONFLICT(device_id) DO UPDATE SET status = excluded.status, revoked_at = excluded.revoked_at,
          revocation_reason = excluded.revocation_reason, version = excluded.version`),
      listAll: db.prepare<[number, number], DeviceRow>('SELECT * FROM devices WHERE registered_position > ? ORDER BY registered_position LIMIT ?'),
      listByStatus: db.prepare<[string, number, number], DeviceRow>(
        'SELECT * FROM devices WHERE status = ? AND registered_position > ? ORDER BY registered_position LIMIT ?',
      ),
    };
  }

  apply(event: RecordedEvent): void {
    const current = this.s.get.get((event as RecordedEvent<DeviceEvent>).data.deviceId);
    const next = evolveDeviceView(current ? toView(current) : null, event as RecordedEvent<DeviceEvent>);
    if (!next || next.version === current?.version) return;
    try {
      this.s.upsert.run({ ...next, metadata: JSON.stringify(next.metadata) });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String(error).includes('public_key')) {
        throw new DomainError(ErrorCode.DuplicatePublicKey, 'This public key is already registered to another device');
      }
      throw error;
    }
  }

  async get(deviceId: string): Promise<DeviceView | null> {
    const row = this.s.get.get(deviceId);
    return row ? toView(row) : null;
  }

  async findByPublicKey(publicKey: string): Promise<DeviceView | null> {
    const row = this.s.byKey.get(publicKey);
    return row ? toView(row) : null;
  }

  async list(filter: { status?: DeviceStatus; after?: number; limit: number }): Promise<DevicePage> {
    const after = filter.after ?? 0;
    // One extra row tells whether another page exists without a second query.
    const rows = filter.status
      ? this.s.listByStatus.all(filter.status, after, filter.limit + 1)
      : this.s.listAll.all(after, filter.limit + 1);
    const items = rows.slice(0, filter.limit).map(toView);
    const more = rows.length > filter.limit;
    return { items, nextAfter: more ? (items[items.length - 1] as DeviceView).registeredPosition : null };
  }
}
