import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

import { runCli } from '../../apps/cli/src/testing/cli.process';
import { Api } from '../support/client';
import { expectConsistencyProved, expectEveryEventIncluded, goVerifier, type GoVerify, latestNote, noteSize, saveExport } from '../support/tlog';
import { queryEvents, settle, verifyChain } from './support/audit';
import { type Cluster, DATABASE_URL, startCluster } from './support/cluster';
import { authenticateWith, newDevice } from './support/devices';

// The audit log as a transparency log in the distributed mode: events made by
// the registry and challenge services reach the audit service over Kafka and
// its PostgreSQL log; checkpoints and proofs come through the gateway and are
// checked by tools/tlog-verify (Go, transparency-dev's reference libraries).
// Then an intruder with the database owner's rights: a query column edited
// behind the triggers, and the tail cut with its checkpoints and tree.

const PUBLIC_URL = 'https://merkle.dist.test';

describe('distributed mode: the audit log as an RFC 9162 transparency log through the gateway', () => {
  let cluster: Cluster;
  let gateway: string;
  let api: Api;
  let work: string;
  let goVerify: GoVerify;
  let expected = 0;

  /** `count` devices registered and authenticated through the gateway; resolves once the audit log holds their events. */
  const addEvents = async (count: number): Promise<Record<string, unknown>[]> => {
    for (let i = 0; i < count; i++) {
      const device = await newDevice('merkle-dist');
      expect((await api.post('/v1/devices', { deviceId: device.deviceId, publicKey: device.publicKeyHex })).status).toBe(201);
      expect(await authenticateWith(cluster.client(), device, cluster.audience)).toMatchObject({ verified: true });
      expected += 2;
    }
    const events = await settle(() => queryEvents(gateway, cluster.adminKey), (list) => list.length >= expected, { size: (list) => list.length });
    expect(events).toHaveLength(expected);
    return events as unknown as Record<string, unknown>[];
  };

  /** The database owner, in the suite's audit schema: what an intruder with its password can do. */
  const asOwner = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${cluster.schemaPrefix}audit`);
      return await work(client);
    } finally {
      await client.end();
    }
  };
  /** The intruder: each named table's append-only trigger off while `sql` runs. */
  const asIntruder = (tables: readonly string[], sql: string, values: unknown[] = []): Promise<void> =>
    asOwner(async (client) => {
      for (const table of tables) await client.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
      await client.query(sql, values);
      for (const table of tables) await client.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
    });

  const cli = (args: readonly string[]) => runCli(['audit', ...args], { cwd: work, env: { PATH: process.env['PATH'], HOME: work, M2M_URL: gateway, M2M_API_KEY: cluster.adminKey } });

  beforeAll(async () => {
    goVerify = goVerifier();
    work = mkdtempSync(join(tmpdir(), 'm2m-dist-merkle-'));
    // The notes are named after the public URL (M2M_PUBLIC_URL), not the port the audit service got.
    cluster = await startCluster({ name: 'merkle', env: { M2M_PUBLIC_URL: PUBLIC_URL } });
    gateway = cluster.gateways[0]!.url;
    api = new Api(gateway, cluster.adminKey);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("serves checkpoint notes, consistency and inclusion proofs that transparency-dev's verifier accepts", async () => {
    await addEvents(2);
    const first = await latestNote(gateway);
    expect(noteSize(first)).toBe(expected);
    const vkey = (await new Api(gateway, null).get<string>('/epcis/checkpoints/vkey')).body.trim();
    const [origin] = first.split('\n') as [string];
    expect(origin).toBe(new URL(PUBLIC_URL).host);
    const firstFile = join(work, 'first.note');
    writeFileSync(firstFile, first);
    expect(await goVerify('checkpoint', vkey, origin, firstFile)).toMatchObject({ ok: true, out: expect.stringMatching(new RegExp(`^size ${expected} root [0-9a-f]{64}$`)) });

    const events = await addEvents(3);
    const second = await latestNote(gateway);
    const secondFile = join(work, 'second.note');
    writeFileSync(secondFile, second);
    expect(noteSize(second)).toBe(expected);
    await expectConsistencyProved(gateway, goVerify, vkey, { note: first, file: firstFile }, { note: second, file: secondFile });
    await expectEveryEventIncluded({ api, events, goVerify, vkey, noteFile: secondFile, note: second, work });
  });

  it('reports index_mismatch for a query column an intruder changed in PostgreSQL, which the chain of documents alone would miss', async () => {
    expect((await verifyChain(gateway, cluster.adminKey)).body).toMatchObject({ ok: true, verifiedRecords: expected });
    const disposition = await asOwner(async (client) => (await client.query<{ disposition: string }>('SELECT disposition FROM audit_events WHERE seq = 3')).rows[0]?.disposition);
    await asIntruder(['audit_events'], 'UPDATE audit_events SET disposition = $1 WHERE seq = 3', ['https://ref.gs1.org/cbv/Disp-tampered']);
    expect((await verifyChain(gateway, cluster.adminKey)).body).toMatchObject({ ok: false, fault: { seq: 3, problem: 'index_mismatch', column: 'disposition' } });
    // Put back, the log verifies again: the check reads what is stored now.
    await asIntruder(['audit_events'], 'UPDATE audit_events SET disposition = $1 WHERE seq = 3', [disposition]);
    expect((await verifyChain(gateway, cluster.adminKey)).body).toMatchObject({ ok: true, verifiedRecords: expected });
  });

  it('m2m audit verify --checkpoint with a note saved earlier catches the tail cut with its checkpoints, which the walk of what is left passes', async () => {
    const saved = join(work, 'saved.note');
    writeFileSync(saved, await latestNote(gateway));
    const size = noteSize(readFileSync(saved, 'utf8'));
    const before = await saveExport(gateway, cluster.adminKey, join(work, 'before.jsonld'));
    expect(await cli(['verify', before, '--checkpoint', saved])).toMatchObject({ code: 0, stdout: expect.stringContaining('the export extends the saved checkpoint') });
    const keep = size - 3;
    await asIntruder(
      ['audit_events', 'audit_checkpoints', 'audit_tree'],
      'DELETE FROM audit_events WHERE seq > $1; DELETE FROM audit_checkpoints WHERE seq > $1; DELETE FROM audit_tree WHERE (idx + 1) * (1::bigint << level) > $1'.replaceAll('$1', String(keep)),
    );
    // The audit service keeps the tree's right edge in memory: a restart reads the cut log
    // (killed, so that it does not sign its in-memory head on the way out).
    await cluster.killAudit();
    await cluster.startAudit();

    expect((await verifyChain(gateway, cluster.adminKey)).body).toMatchObject({ ok: true, verifiedRecords: keep });
    const verify = await cli(['verify', '--checkpoint', saved]);
    expect(verify).toMatchObject({ code: 1, stdout: expect.stringContaining('NOT VERIFIED') });
    expect(verify.stdout).toContain(`the log holds ${keep} records, fewer than the ${size} the saved checkpoint vouches for: its tail is gone`);
    const after = await saveExport(gateway, cluster.adminKey, join(work, 'after.jsonld'));
    expect(await cli(['verify', after, '--checkpoint', saved])).toMatchObject({
      code: 1,
      stdout: expect.stringContaining(`NOT VERIFIED: the export holds ${keep} records, fewer than the ${size} the saved checkpoint vouches for: its tail is gone`),
    });
  });

});
