import { CHAIN_FIELDS } from '@m2m-trust/audit-domain';
import { computeEventHashId } from '@m2m-trust/audit-event-hash';
import { CSV_COLUMNS, type ExportManifest, splitExport } from '@m2m-trust/audit-export';

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

import { Api } from '../support/client';
import { expectValidEpcis } from '../support/epcis-schema';
import { queryEvents, settle } from './support/audit';
import { type Cluster, startCluster } from './support/cluster';
import { authenticateWith, newDevice } from './support/devices';

/** The CLI as it is published: the bundle `npm run build` makes. */
const CLI = resolve(__dirname, '../../apps/cli/dist/m2m.cjs');
/** GS1's schema, kept outside the repository beside it (as e2e/audit-export.e2e-spec.ts finds it). */
const EPCIS_XSD = resolve(__dirname, '../../../shared/epcis/xsd/EPCglobal-epcis-2_0.xsd');
const M2M_NAMESPACE = { m2m: 'https://ns.m2m-trust.org/epcis/' };
const DEVICES = 3;
/** Per device: its registration and one authentication; the first device is revoked too. */
const EVENTS = DEVICES * 2 + 1;

/**
 * Compliance exports in the distributed mode: events produced by the registry
 * and challenge services reach the audit service over Kafka and land in its
 * PostgreSQL log; /epcis/export comes through the gateway. Each format must
 * verify as exported: the manifest's JWS under the audit service's published
 * checkpoint key, its body hash over the bytes received, the built CLI's
 * `m2m audit verify`, and every event as stored (its eventID GS1's event hash
 * of it, no chain field inside it).
 */
describe('distributed mode: compliance exports through the gateway', () => {
  let cluster: Cluster;
  let gateway: string;
  let workDir: string;
  let keysFile: string;

  const get = (path: string): Promise<Response> => fetch(new URL(path, gateway), { headers: { 'x-api-key': cluster.adminKey } });
  const cli = async (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const env = { PATH: process.env['PATH'] ?? '', HOME: workDir, M2M_URL: gateway, M2M_API_KEY: cluster.adminKey };
    return promisify(execFile)(process.execPath, [CLI, ...args], { cwd: workDir, env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  };
  /** GET /epcis/export in `format` through the gateway: answered 200 with `type`, read whole. */
  const download = async (format: string, type: RegExp): Promise<{ response: Response; bytes: Buffer }> => {
    const response = await get(`/epcis/export?format=${format}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    return { response, bytes: Buffer.from(await response.arrayBuffer()) };
  };
  /** The manifest at the end of a JSON-LD or XML export, its signature verified, and its body hash checked over the bytes before it. */
  const manifestOf = async (bytes: Buffer): Promise<ExportManifest> => {
    const split = splitExport(bytes);
    if (!split) throw new Error('no manifest at the end of the export');
    const manifest = await verifyManifest(split.jws);
    expect(manifest.bodySha256).toBe(createHash('sha256').update(split.body).digest('hex'));
    return manifest;
  };
  const verifyManifest = async (jws: string): Promise<ExportManifest> => {
    const keys = (await (await fetch(new URL('/epcis/checkpoints/keys', gateway))).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(keys));
    expect(protectedHeader.typ).toBe('m2m-audit-export+jws');
    return JSON.parse(new TextDecoder().decode(payload)) as ExportManifest;
  };
  const expectCliVerifies = async (path: string, format: string): Promise<void> => {
    const run = await cli(['audit', 'verify', path, '--keys', keysFile, '--json']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, format, fault: null, body: { count: EVENTS, firstSeq: 1, lastSeq: EVENTS } });
  };

  beforeAll(async () => {
    cluster = await startCluster({ name: 'export' });
    gateway = cluster.gateways[0]!.url;
    workDir = mkdtempSync(join(tmpdir(), 'm2m-dist-export-'));
    const client = cluster.client();
    const api = new Api(gateway, cluster.adminKey);
    for (let i = 0; i < DEVICES; i++) {
      const device = await newDevice('export-dist');
      expect((await api.post('/v1/devices', { deviceId: device.deviceId, publicKey: device.publicKeyHex, label: `Export ${i}` })).status).toBe(201);
      expect(await authenticateWith(client, device, cluster.audience)).toMatchObject({ verified: true });
      if (i === 0) expect((await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: 'retired, "finally", ok' })).status).toBe(200);
    }
    const events = await settle(() => queryEvents(gateway, cluster.adminKey), (list) => list.length >= EVENTS, { size: (list) => list.length });
    expect(events).toHaveLength(EVENTS);
    keysFile = join(workDir, 'keys.json');
    writeFileSync(keysFile, await (await fetch(new URL('/epcis/checkpoints/keys', gateway))).text());
  });
  afterAll(async () => {
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('exports JSON-LD whose events are as stored (eventID recomputes, no chain field), under a manifest signed by the audit service', async () => {
    const { bytes } = await download('jsonld', /^application\/ld\+json/);
    const document = JSON.parse(bytes.toString('utf8')) as { epcisBody: { eventList: Record<string, unknown>[] } };
    expectValidEpcis(document);
    expect(await manifestOf(bytes)).toMatchObject({ format: 'jsonld', count: EVENTS, firstSeq: 1, lastSeq: EVENTS, complete: true });

    const events = document.epcisBody.eventList;
    expect(events).toHaveLength(EVENTS);
    for (const event of events) {
      expect(Object.keys(event).filter((key) => Object.values(CHAIN_FIELDS).includes(key as never))).toEqual([]);
      const { eventID, ...content } = event;
      expect(computeEventHashId(content, M2M_NAMESPACE)).toBe(eventID);
    }

    const path = join(workDir, 'export.jsonld');
    writeFileSync(path, bytes);
    await expectCliVerifies(path, 'jsonld');
  });

  it("exports EPCIS 2.0 XML with no chain field inside an event, valid against GS1's XSD (xmllint), which the CLI verifies", async () => {
    const { bytes } = await download('xml', /^application\/xml/);
    const text = bytes.toString('utf8');
    expect(text.match(/<ObjectEvent>/g)).toHaveLength(EVENTS);
    expect(text).not.toMatch(/<m2m:(seq|prevHash|recordHash)>/);
    expect(text.match(/<m2m:link seq="\d+" prevHash="[0-9a-f]{64}" recordHash="[0-9a-f]{64}"\/>/g)).toHaveLength(EVENTS);
    expect(await manifestOf(bytes)).toMatchObject({ format: 'xml', count: EVENTS, firstSeq: 1, lastSeq: EVENTS, complete: true });

    const path = join(workDir, 'export.xml');
    writeFileSync(path, bytes);
    // xmllint comes from Debian's libxml2-utils, which .ci/run installs.
    const { stderr } = await promisify(execFile)('xmllint', ['--noout', '--schema', EPCIS_XSD, path]);
    expect(stderr).toMatch(/export\.xml validates/);
    await expectCliVerifies(path, 'xml');
  });

  it("exports a plain CSV whose relative Link resolves through the gateway to its manifest, signed over the CSV's bytes", async () => {
    const { response, bytes } = await download('csv', /^text\/csv/);
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(EVENTS + 1);
    expect(lines.filter((line) => line.startsWith('#'))).toEqual([]);

    const link = /^<([^>]+)>; rel="describedby"; type="application\/jose"$/.exec(response.headers.get('link') ?? '')?.[1];
    expect(link).toBe(`export/manifest?format=csv&snapshot=${EVENTS}`);
    // Resolved as a client resolves it: against the URL it asked, the gateway's.
    const signed = await get(new URL(link!, `${gateway}/epcis/export?format=csv`).href);
    expect(signed.status).toBe(200);
    expect(signed.headers.get('content-type')).toMatch(/^application\/jose/);
    const jws = (await signed.text()).trim();
    const manifest = await verifyManifest(jws);
    expect(manifest).toMatchObject({ format: 'csv', count: EVENTS, snapshotSeq: EVENTS, complete: true });
    expect(manifest.bodySha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    const path = join(workDir, 'export.csv');
    writeFileSync(path, bytes);
    writeFileSync(`${path}.jws`, `${jws}\n`);
    await expectCliVerifies(path, 'csv');
  });

  it('m2m audit export fetches the CSV and, following the Link through the gateway, its manifest; both verify', async () => {
    const run = await cli(['audit', 'export', '--format', 'csv', '--out', 'cli.csv']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('m2m audit verify') });
    expect(existsSync(join(workDir, 'cli.csv.jws'))).toBe(true);
    expect(readFileSync(join(workDir, 'cli.csv'), 'utf8').split('\n')[0]).toBe(CSV_COLUMNS.join(','));
    await expectCliVerifies(join(workDir, 'cli.csv'), 'csv');
  });
});
