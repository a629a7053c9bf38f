import type { SqliteInlineProjection } from '@m2m-trust/shared-data-access/sqlite';
import { assertUnreachable } from '@m2m-trust/shared-domain';
import type { DeviceEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import type { DeviceCredentials, DeviceCredentialsRepository } from '../device-credentials.repository';

interface Row {
  device_id: string;
  public_key: string;
  key_thumbprint: string;
  status: 'active' | 'revoked';
  version: number;
}

export class SqliteDeviceCredentialsProjection implements SqliteInlineProjection, DeviceCredentialsRepository {
  readonly name = 'challenge.device-credentials';
  readonly handles = ['DeviceRegistered', 'DeviceRevoked'] as const;
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], Row>('SELECT * FROM device_credentials WHERE device_id = ?'),
      insert: db.prepare(
        'INSERT INTO device_credentials (device_id, public_key, key_thumbprint, status, version) VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id) DO NOTHING',
      ),
      revoke: db.prepare("UPDATE device_credentials SET status = 'revoked', version = ? WHERE device_id = ? AND version < ?"),
    };
  }

  apply(recorded: RecordedEvent): void {
    const event = recorded as RecordedEvent<DeviceEvent>;
    switch (event.type) {
      case 'DeviceRegistered':
        this.s.insert.run(event.data.deviceId, event.data.publicKey, event.data.keyThumbprint, 'active', event.streamVersion);
        return;
      case 'DeviceRevoked':
        this.s.revoke.run(event.streamVersion, event.data.deviceId, event.streamVersion);
        return;
      default:
        return assertUnreachable(event);
    }
  }

  async get(deviceId: string): Promise<DeviceCredentials | null> {
    const row = this.s.get.get(deviceId);
    return row
      ? { deviceId: row.device_id, publicKey: row.public_key, keyThumbprint: row.key_thumbprint, status: row.status, version: row.version }
      : null;
  }
}
