import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type ChallengeNonceFields, formatChallengeNonce, parseChallengeNonce } from './challenge-nonce';

const vectors = JSON.parse(readFileSync(join(__dirname, '../../../../../docs/protocol/vectors.json'), 'utf8')) as {
  valid: { nonce: string; fields: ChallengeNonceFields }[];
};

describe('challenge nonce', () => {
  it.each(vectors.valid.map((v) => [v.nonce, v.fields] as const))('round-trips the vector %s', (nonce, fields) => {
    expect(formatChallengeNonce(fields)).toBe(nonce);
    expect(parseChallengeNonce(nonce)).toEqual(fields);
  });

  const good = vectors.valid[0]!.nonce;
  it.each([
    ['another protocol label', good.replace('m2m-trust-challenge/v1', 'm2m-trust-challenge/v2')],
    ['fields out of order', good.replace(/aud=([^;]+);cid=([^;]+)/, 'cid=$2;aud=$1')],
    ['a missing field', good.replace(/;rnd=[^;]+/, '')],
    ['an extra field', `${good};x=1`],
    ['short randomness', good.replace(/rnd=[^;]+/, 'rnd=AAAA')],
    ['an expiry that is not UTC RFC 3339', good.replace(/exp=.*$/, 'exp=2026-11-21 08:01:00')],
    ['white space in a value', good.replace('did=scanner-floor-3', 'did=scanner floor')],
  ])('refuses %s', (_, nonce) => {
    expect(parseChallengeNonce(nonce)).toBeNull();
  });

  it('will not format a value holding the separator', () => {
    expect(() => formatChallengeNonce({ ...vectors.valid[0]!.fields, audience: 'https://a;did=evil' })).toThrow();
  });
});
