import { GENESIS_HASH } from '@m2m-trust/audit-domain';

import { exportWriter } from './export-format';

const link = { seq: 42, prevHash: GENESIS_HASH, hash: 'ab'.repeat(32) };

describe('JSON-LD export writer', () => {
  it('writes each event exactly as stored (nothing GS1 event hash would cover is added), one per line', () => {
    const writer = exportWriter('jsonld');
    writer.start('2026-01-01T00:00:00.000Z');
    const event = { eventID: 'ni:///sha-256;00?ver=CBV2.0', type: 'ObjectEvent', 'm2m:reason': 'x' };
    expect(writer.record(event, link)).toBe(JSON.stringify(event));
    expect(writer.record(event, { ...link, seq: 43 })).toBe(`,\n${JSON.stringify(event)}`);
  });

  it('writes the links after the event list, in the document-level m2m:chain', () => {
    const writer = exportWriter('jsonld');
    writer.record({}, link);
    expect(writer.openChain()).toBe('\n]},"m2m:chain":[\n');
    expect(writer.link(link)).toBe(`{"m2m:seq":42,"m2m:prevHash":"${GENESIS_HASH}","m2m:recordHash":"${'ab'.repeat(32)}"}`);
    expect(writer.link({ ...link, seq: 43 })).toMatch(/^,\n\{"m2m:seq":43,/);
    expect(writer.end()).toBe('\n]');
  });
});
