import { GENESIS_HASH, recordHash } from '@m2m-trust/audit-domain';
import { computeEventHashId } from '@m2m-trust/audit-event-hash';

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

import { Api, authenticate, newDevice, register } from './support/client';
import { newDataDir, startServer } from './support/server';

const ADMIN_KEY = 'chain-test-admin-key-0123456789';

interface Report {
  ok: boolean;
  verifiedRecords: number;
  checkpointsVerified: number;
  fault?: { seq: number; problem: string };
}

/** Opens the stopped server's audit file the way an intruder would: straight at the file, triggers dropped. */
function tamper(dataDir: string, change: (db: Database.Database) => void): void {
  const db = new Database(join(dataDir, 'audit.sqlite'));
  db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
  change(db);
  db.close();
}

async function verifyAfter(original: string, change: (db: Database.Database) => void): Promise<Report> {
  const copy = newDataDir();
  cpSync(original, copy, { recursive: true });
  tamper(copy, change);
  const server = await startServer({ dataDir: copy, adminKey: ADMIN_KEY });
  try {
    return (await new Api(server.url, ADMIN_KEY).get<Report>('/epcis/chain/verify')).body;
  } finally {
    await server.stop();
  }
}

const documentOf = (db: Database.Database, seq: number): Record<string, unknown> =>
  JSON.parse((db.prepare('SELECT document FROM audit_events WHERE seq = ?').get(seq) as { document: string }).document);

describe('tamper-evident audit chain', () => {
  const dataDir = newDataDir();
  let records = 0;

  beforeAll(async () => {
    const server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    const api = new Api(server.url, ADMIN_KEY);
    for (let i = 0; i < 3; i++) {
      const device = newDevice('chain');
      await register(api, device);
      await authenticate(api, device);
    }
    const doomed = newDevice('chain-revoked');
    await register(api, doomed);
    await api.post(`/v1/devices/${doomed.deviceId}/revoke`, { reason: 'lost' });
    records = 8;
    // Graceful stop signs a checkpoint of the final head.
    await server.stop();
  });

  it('verifies an untouched chain and publishes a checkpoint anyone can check with the key set', async () => {
    const server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    try {
      const api = new Api(server.url, ADMIN_KEY);
      const report = (await api.get<Report>('/epcis/chain/verify')).body;
      expect(report).toMatchObject({ ok: true, verifiedRecords: records });
      expect(report.checkpointsVerified).toBeGreaterThanOrEqual(1);

      const latest = (await new Api(server.url, null).get<{ seq: number; head: string; kid: string; jws: string; keys: JSONWebKeySet }>(
        '/epcis/checkpoints/latest',
      )).body;
      expect(latest.seq).toBe(records);
      const { payload, protectedHeader } = await compactVerify(latest.jws, createLocalJWKSet(latest.keys));
      expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: latest.kid });
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ seq: records, head: latest.head });
      const keys = (await new Api(server.url, null).get<JSONWebKeySet>('/epcis/checkpoints/keys')).body;
      expect(keys.keys).toEqual(latest.keys.keys);
      expect(keys.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: latest.kid });
      expect((await new Api(server.url, null).get('/epcis/chain/verify')).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('names an edited record', async () => {
    const report = await verifyAfter(dataDir, (db) => {
      const doc = documentOf(db, 3);
      doc['eventTime'] = '2020-01-01T00:00:00.000Z';
      db.prepare('UPDATE audit_events SET document = ? WHERE seq = 3').run(JSON.stringify(doc));
    });
    expect(report).toMatchObject({ ok: false, fault: { seq: 3, problem: 'event_id_mismatch' } });
  });

  it('reports a query column changed behind the triggers (the filtered queries would hide the record) as index_mismatch', async () => {
    const report = await verifyAfter(dataDir, (db) => {
      db.prepare("UPDATE audit_events SET disposition = 'https://ref.gs1.org/cbv/Disp-tampered' WHERE seq = 3").run();
    });
    expect(report).toMatchObject({ ok: false, fault: { seq: 3, problem: 'index_mismatch', column: 'disposition' } });
    const moved = await verifyAfter(dataDir, (db) => {
      db.prepare("UPDATE audit_events SET epc = 'urn:m2m-trust:device:someone-else' WHERE seq = 2").run();
    });
    expect(moved).toMatchObject({ ok: false, fault: { seq: 2, problem: 'index_mismatch', column: 'epc' } });
  });

  it('names the record after a removed one', async () => {
    const report = await verifyAfter(dataDir, (db) => void db.prepare('DELETE FROM audit_events WHERE seq = 4').run());
    expect(report).toMatchObject({ ok: false, fault: { seq: 5, problem: 'sequence_gap' } });
  });

  it('names the first of two swapped records', async () => {
    const report = await verifyAfter(dataDir, (db) => {
      const a = documentOf(db, 5);
      const b = documentOf(db, 6);
      db.prepare('UPDATE audit_events SET document = ? WHERE seq = 5').run(JSON.stringify(b));
      db.prepare('UPDATE audit_events SET document = ? WHERE seq = 6').run(JSON.stringify(a));
    });
    expect(report).toMatchObject({ ok: false, fault: { seq: 5, problem: 'record_hash_mismatch' } });
  });

  it('catches a rewrite that rehashed the whole chain, by the signed checkpoint', async () => {
    const report = await verifyAfter(dataDir, (db) => {
      // The intruder edits record 2, recomputes its event ID, its query columns and every hash after it.
      const rows = db.prepare('SELECT seq, document FROM audit_events ORDER BY seq').all() as { seq: number; document: string }[];
      let prev = GENESIS_HASH;
      for (const row of rows) {
        const doc = JSON.parse(row.document) as Record<string, unknown>;
        if (row.seq === 2) {
          doc['m2m:actor'] = 'device:someone-else';
          const { eventID: _replaced, ...content } = doc;
          doc['eventID'] = computeEventHashId(content, { m2m: 'https://ns.m2m-trust.org/epcis/' });
        }
        const hash = recordHash(row.seq, prev, doc);
        db.prepare('UPDATE audit_events SET document = ?, prev_hash = ?, hash = ?, event_id = ?, actor = ? WHERE seq = ?').run(
          JSON.stringify(doc),
          prev,
          hash,
          doc['eventID'],
          doc['m2m:actor'] ?? null,
          row.seq,
        );
        prev = hash;
      }
    });
    expect(report).toMatchObject({ ok: false, fault: { problem: 'checkpoint_mismatch' } });
  });

  it('catches records cut from the end after a checkpoint', async () => {
    const report = await verifyAfter(dataDir, (db) => void db.prepare('DELETE FROM audit_events WHERE seq >= 7').run());
    expect(report).toMatchObject({ ok: false, fault: { seq: 7, problem: 'truncated' } });
  });
});
