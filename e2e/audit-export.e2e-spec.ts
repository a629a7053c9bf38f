import { CHAIN_FIELDS, ChainVerifier, splitChainLink } from '@m2m-trust/audit-domain';
import { CSV_COLUMNS, CSV_MANIFEST_MARKER, type ExportManifest, splitExport } from '@m2m-trust/audit-export';

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

import { Api, authenticate, newDevice, register } from './support/client';
import { expectValidEpcis } from './support/epcis-schema';
import { type RunningServer, startServer } from './support/server';

async function download(server: RunningServer, query: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${server.url}/epcis/export${query}`, { headers: { authorization: `Bearer ${server.adminKey}` } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function manifestOf(server: RunningServer, file: Buffer): Promise<{ manifest: ExportManifest; body: Buffer }> {
  const split = splitExport(file);
  if (!split) throw new Error('no manifest at the end of the export');
  const keys = (await new Api(server.url, null).get<JSONWebKeySet>('/epcis/checkpoints/keys')).body;
  const { payload, protectedHeader } = await compactVerify(split.jws, createLocalJWKSet(keys));
  expect(protectedHeader.typ).toBe('m2m-audit-export+jws');
  return { manifest: JSON.parse(new TextDecoder().decode(payload)) as ExportManifest, body: split.body };
}

describe('compliance exports', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer();
    const api = new Api(server.url, server.adminKey);
    for (let i = 0; i < 4; i++) {
      const device = newDevice('export');
      await register(api, device);
      await authenticate(api, device);
      if (i % 2 === 0) await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: 'retired, "finally", ok' });
    }
  });
  afterAll(() => server.stop());

  it('streams the whole log as a valid EPCIS document whose chain walks from record 1, under a signed manifest', async () => {
    const { status, headers, bytes } = await download(server, '');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(headers.get('content-disposition')).toMatch(/^attachment; filename="epcis-export-\d+\.jsonld"$/);

    const document = JSON.parse(bytes.toString('utf8')) as { epcisBody: { eventList: Record<string, unknown>[] }; 'm2m:chain': Record<string, unknown>[] };
    expectValidEpcis(document);
    const { manifest, body } = await manifestOf(server, bytes);
    expect(manifest.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    const events = document.epcisBody.eventList;
    expect(manifest).toMatchObject({ format: 'jsonld', count: events.length, firstSeq: 1, lastSeq: events.length, complete: true });
    expect(events.length).toBe(10);

    // Each event exactly as stored (nothing of the chain inside it), its link at the same place in the chain section.
    const links = document['m2m:chain'];
    expect(links).toHaveLength(events.length);
    const walker = new ChainVerifier({ contiguous: true });
    events.forEach((event, i) => {
      expect(Object.keys(event).filter((key) => Object.values(CHAIN_FIELDS).includes(key as never))).toEqual([]);
      const split = splitChainLink(links[i]!)!;
      expect(split.event).toEqual({});
      expect(walker.check(event, split.link)).toBeNull();
    });
    expect(walker.head?.hash).toBe(manifest.chainHead);
    expect(bytes.toString('utf8', manifest.chainStart!).startsWith('{"m2m:seq":1,')).toBe(true);
  });

  it('applies the query filters and says the export is partial', async () => {
    const { bytes } = await download(server, '?EQ_action=DELETE');
    const document = JSON.parse(bytes.toString('utf8')) as { epcisBody: { eventList: { action: string }[] } };
    expect(document.epcisBody.eventList.map((e) => e.action)).toEqual(['DELETE', 'DELETE']);
    const { manifest } = await manifestOf(server, bytes);
    expect(manifest).toMatchObject({ count: 2, complete: false, filters: { EQ_action: 'DELETE' } });
  });

  it('exports CSV as a plain table, one row per event, its signed manifest linked beside it for the same snapshot', async () => {
    const { status, headers, bytes } = await download(server, '?format=csv');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.filter((l) => l.includes('"retired, ""finally"", ok"'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('#'))).toEqual([]);
    const link = /^<([^>]+)>; rel="describedby"; type="application\/jose"$/.exec(headers.get('link') ?? '');
    expect(link?.[1]).toBe(`export/manifest?format=csv&snapshot=${lines.length - 1}`);
    const signed = await fetch(new URL(link![1]!, `${server.url}/epcis/export`), { headers: { authorization: `Bearer ${server.adminKey}` } });
    expect(signed.headers.get('content-type')).toMatch(/^application\/jose/);
    const { manifest } = await manifestOf(server, Buffer.concat([bytes, Buffer.from(`${CSV_MANIFEST_MARKER}${await signed.text()}\n`)]));
    expect(manifest).toMatchObject({ format: 'csv', count: lines.length - 1, complete: true, chainStart: null });
    expect(manifest.bodySha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('serves the CSV manifest only for CSV, and a snapshot only up to the chain head', async () => {
    for (const query of ['?format=jsonld', '?snapshot=99999', '?snapshot=-1']) {
      const response = await fetch(`${server.url}/epcis/export/manifest${query}`, { headers: { authorization: `Bearer ${server.adminKey}` } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: 'epcisException:QueryParameterException' });
    }
    expect((await fetch(`${server.url}/epcis/export/manifest`)).status).toBe(401);
  });

  it("exports EPCIS 2.0 XML that validates against GS1's XSD (xmllint), under the same signed manifest", async () => {
    const { status, headers, bytes } = await download(server, '?format=xml');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/xml/);
    const { manifest, body } = await manifestOf(server, bytes);
    expect(manifest).toMatchObject({ format: 'xml', count: 10, firstSeq: 1, lastSeq: 10, complete: true });
    expect(manifest.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    const text = bytes.toString('utf8');
    expect(text.match(/<ObjectEvent>/g)).toHaveLength(10);
    expect(text).toContain('<m2m:reason>retired, &quot;finally&quot;, ok</m2m:reason>');
    // The links after the body, where the schema admits elements of other namespaces; none inside an event.
    expect(text).not.toContain('<m2m:seq>');
    expect(text.match(/<m2m:link seq="\d+" prevHash="[0-9a-f]{64}" recordHash="[0-9a-f]{64}"\/>/g)).toHaveLength(10);
    const file = join(mkdtempSync(join(tmpdir(), 'm2m-xml-')), 'export.xml');
    writeFileSync(file, bytes);
    const xsd = resolve(__dirname, '../../shared/epcis/xsd/EPCglobal-epcis-2_0.xsd');
    // xmllint comes from Debian's libxml2-utils, which .ci/run installs.
    const { stderr } = await promisify(execFile)('xmllint', ['--noout', '--schema', xsd, file]);
    expect(stderr).toMatch(/export\.xml validates/);
  });

  it.each([
    ['an unknown format', '?format=pdf'],
    ['paging parameters', '?perPage=10'],
    ['an unknown filter', '?EQ_colour=red'],
  ])('answers 400 QueryParameterException for %s, before streaming anything', async (_, query) => {
    const { status, bytes } = await download(server, query);
    expect(status).toBe(400);
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ type: 'epcisException:QueryParameterException' });
  });

  it('names the formats when one is unknown', async () => {
    const { bytes } = await download(server, '?format=pdf');
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ detail: expect.stringContaining('must be one of jsonld, xml, csv') });
  });

  it('requires the API key', async () => {
    expect((await fetch(`${server.url}/epcis/export`)).status).toBe(401);
  });
});
