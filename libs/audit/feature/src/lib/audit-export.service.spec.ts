import type { AuditChainStore, ChainRecord } from '@m2m-trust/audit-data-access';
import { GENESIS_HASH } from '@m2m-trust/audit-domain';
import { type ExportFormat, type ExportManifest, exportWriter, splitExport } from '@m2m-trust/audit-export';
import type { ServiceAudience } from '@m2m-trust/shared-platform';

import { createHash, generateKeyPairSync } from 'node:crypto';
import { compactVerify } from 'jose';

import { AuditExportService } from './audit-export.service';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const RECORDS = 3_456;

/** Events of varied size, some with text that each format escapes or quotes, one with a character outside the BMP. */
function recordsOf(n: number): ChainRecord[] {
  const records: ChainRecord[] = [];
  for (let seq = 1; seq <= n; seq++) {
    records.push({
      seq,
      prevHash: seq === 1 ? GENESIS_HASH : (seq - 1).toString(16).padStart(64, '0'),
      hash: seq.toString(16).padStart(64, '0'),
      event: {
        eventID: `ni:///sha-256;${seq.toString(16).padStart(64, '0')}?ver=CBV2.0`,
        type: 'ObjectEvent',
        eventTime: '2026-01-01T00:00:00.000Z',
        recordTime: '2026-01-01T00:00:01.000Z',
        eventTimeZoneOffset: '+00:00',
        epcList: [`urn:m2m-trust:device:meter-${seq % 7}`],
        action: 'OBSERVE',
        bizStep: 'inspecting',
        disposition: seq % 5 === 0 ? 'non_conformant' : 'conformant',
        'm2m:reason': seq % 5 === 0 ? `bad, "quoted" <${'x'.repeat(seq % 300)}> é 😀\nline` : undefined,
        'm2m:requestId': `r-${seq}`,
      },
    });
  }
  return records;
}

class FakeChain implements Pick<AuditChainStore, 'head' | 'records'> {
  constructor(private readonly all: readonly ChainRecord[]) {}

  async head(): Promise<ChainRecord | null> {
    return this.all[this.all.length - 1] ?? null;
  }

  async records(afterSeq: number, limit: number): Promise<readonly ChainRecord[]> {
    return this.all.slice(afterSeq, afterSeq + limit);
  }
}

describe('AuditExportService', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const records = recordsOf(RECORDS);
  const service = new AuditExportService(
    new FakeChain(records) as unknown as AuditChainStore,
    { kid: 'test-key', privateKey, jwk: {} },
    { now: () => NOW },
    { get: () => 'https://audit.example' } as ServiceAudience,
  );

  it.each(['jsonld', 'xml', 'csv'] as const)('streams %s in writes of about 256 KiB: the writer output byte for byte, under a manifest that pins it', async (format: ExportFormat) => {
    const prepared = await service.prepare({ format });
    const chunks: Buffer[] = [];
    for await (const chunk of prepared.body) chunks.push(chunk);
    const file = Buffer.concat(chunks);

    const writer = exportWriter(format);
    let expected = writer.start(NOW.toISOString()) + records.map((record) => writer.record(record.event, record)).join('');
    const chainStart = writer.chained ? Buffer.byteLength(expected + writer.openChain()) : null;
    if (writer.chained) expected += writer.openChain() + records.map((record) => writer.link(record)).join('');
    expected += writer.end();
    // JSON-LD and XML end with their manifest; a CSV is the table alone, its manifest served apart for the same snapshot.
    const split = format === 'csv' ? { format, body: file, jws: await service.manifest({ snapshot: String(prepared.snapshotSeq) }) } : splitExport(file);
    expect(split?.format).toBe(format);
    expect(split?.body.toString('utf8')).toBe(expected);

    // The start on its own, then writes of about 256 KiB (outside the heap), then the rest and the manifest.
    expect(chunks[0]?.toString('utf8')).toBe(writer.start(NOW.toISOString()));
    const middle = chunks.slice(1, -2);
    expect(middle.length).toBeGreaterThan(2);
    for (const write of middle) {
      expect(write.length).toBeGreaterThanOrEqual(256 * 1024);
      expect(write.length).toBeLessThan(320 * 1024);
    }

    const { payload } = await compactVerify((split as { jws: string }).jws, publicKey);
    const manifest = JSON.parse(new TextDecoder().decode(payload)) as ExportManifest;
    expect(manifest).toMatchObject({ format, count: RECORDS, firstSeq: 1, lastSeq: RECORDS, snapshotSeq: RECORDS, complete: true, chainStart });
    expect(manifest.bodySha256).toBe(createHash('sha256').update(expected, 'utf8').digest('hex'));
  });
});

