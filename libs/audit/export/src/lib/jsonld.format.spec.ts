import { CHAIN_FIELDS, type ChainLink, GENESIS_HASH, withChainLink } from '@m2m-trust/audit-domain';

import { exportWriter } from './export-format';

const link: ChainLink = { seq: 42, prevHash: GENESIS_HASH, hash: 'ab'.repeat(32) };

/** What a JSON-LD export's line for an event has always been: the event copied with its chain link, serialised. */
const copied = (event: Readonly<Record<string, unknown>>, at: ChainLink = link): string => JSON.stringify(withChainLink(event, at));

const events: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'an ObjectEvent': {
    eventID: 'ni:///sha-256;7b1945be89aaf81d9f6dcdf934879741f6a0bc5ecdee47448bfce1ac7e41bbbd?ver=CBV2.0',
    type: 'ObjectEvent',
    eventTime: '2026-11-21T10:29:04.280Z',
    eventTimeZoneOffset: '+00:00',
    epcList: ['urn:m2m-trust:device:meter-0'],
    action: 'OBSERVE',
    'm2m:reason': null,
    'm2m:metadata': { nested: [1, 2.5, true, { deep: 'yes' }] },
  },
  'an empty event': {},
  'text that JSON escapes': { quote: 'say "hi"\n\t\\', unicode: 'é 😀 \u2028', control: '\u0000\u001f' },
  'integer-like keys (serialised first, ascending)': { b: 1, 10: 'ten', a: 2, 2: 'two' },
  'an own __proto__ key': JSON.parse('{"__proto__":{"x":1},"y":2}') as Record<string, unknown>,
  'undefined and function values (left out)': { kept: 1, gone: undefined, fn: () => 1 },
  'a link key already present': { [CHAIN_FIELDS.seq]: 7, other: 'x', [CHAIN_FIELDS.hash]: 'old' },
};

describe('JSON-LD export writer', () => {
  it.each(Object.entries(events))('writes %s byte for byte as the event copied with its chain link', (_name, event) => {
    const writer = exportWriter('jsonld');
    writer.start('2026-01-01T00:00:00.000Z');
    expect(writer.record(event, link)).toBe(copied(event));
    // Every later record is separated from the one before.
    expect(writer.record(event, { ...link, seq: 43 })).toBe(`,\n${copied(event, { ...link, seq: 43 })}`);
  });

  it('puts the link after the event so that a reader can strip it', () => {
    const line = exportWriter('jsonld').record({ a: 1 }, link);
    expect(line).toBe(`{"a":1,"m2m:seq":42,"m2m:prevHash":"${GENESIS_HASH}","m2m:recordHash":"${'ab'.repeat(32)}"}`);
  });
});
