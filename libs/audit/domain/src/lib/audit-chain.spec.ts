import { computeEventHashId } from '@m2m-trust/audit-event-hash';

import { type ChainLink, ChainVerifier, EMPTY_CHAIN_TAIL, GENESIS_HASH, nextChainEntry, nextChainLink, recordHash } from './audit-chain';
import { EPCIS_PREFIXES } from './epcis-vocabulary';

const event = (n: number): Record<string, unknown> => {
  const content = { type: 'ObjectEvent', eventTime: `2026-01-01T00:00:0${n}.000Z`, action: 'OBSERVE', 'm2m:n': n };
  return { eventID: computeEventHashId(content, EPCIS_PREFIXES), ...content };
};

describe('nextChainLink', () => {
  it('makes the first record of an empty chain seq 1 after the genesis hash', () => {
    expect(nextChainLink(EMPTY_CHAIN_TAIL, event(1))).toEqual({ seq: 1, prevHash: GENESIS_HASH, hash: recordHash(1, GENESIS_HASH, event(1)) });
  });

  it('links a record to the tail it follows', () => {
    const tail = { seq: 41, hash: 'ab'.repeat(32) };
    expect(nextChainLink(tail, event(2))).toEqual({ seq: 42, prevHash: tail.hash, hash: recordHash(42, tail.hash, event(2)) });
  });

  it('folds into a chain the verifier accepts, each link the tail of the next', () => {
    const verifier = new ChainVerifier();
    let tail = EMPTY_CHAIN_TAIL;
    for (const e of [event(1), event(2), event(3)]) {
      const link: ChainLink = nextChainLink(tail, e);
      expect(verifier.check(e, link)).toBeNull();
      tail = link;
    }
    expect(verifier.verified).toBe(3);
    expect(verifier.head).toEqual(tail);
  });
});

describe('ChainVerifier onLeaf', () => {
  it("tells each record that holds with the leaf hash writers store for it, and none that does not", () => {
    const told: [number, string][] = [];
    const verifier = new ChainVerifier({ contiguous: true, onLeaf: (link, leaf) => told.push([link.seq, leaf.toString('hex')]) });
    const first = nextChainEntry(EMPTY_CHAIN_TAIL, event(1));
    const second = nextChainEntry(first.link, event(2));
    expect(verifier.check(event(1), first.link)).toBeNull();
    expect(verifier.check(event(3), second.link)).toMatchObject({ seq: 2 });
    expect(verifier.check(event(2), second.link)).toBeNull();
    expect(told).toEqual([
      [1, first.leaf.toString('hex')],
      [2, second.leaf.toString('hex')],
    ]);
  });
});
