import { protocolVectors } from '../testing/protocol-vectors';
import { CHALLENGE_PROTOCOL_LABEL, parseChallengeNonce } from './challenge-nonce';

const vectors = protocolVectors();
const good = vectors.valid[0]!.nonce;

describe('parseChallengeNonce', () => {
  it.each(vectors.valid.map((v) => [v.fields.deviceId, v] as const))('reads the fields of the vector for %s', (_, vector) => {
    expect(parseChallengeNonce(vector.nonce)).toEqual(vector.fields);
  });

  it('expects the documented label', () => {
    expect(good.startsWith(`${CHALLENGE_PROTOCOL_LABEL};`)).toBe(true);
  });

  it.each([
    ['another protocol label', good.replace('m2m-trust-challenge/v1', 'm2m-trust-challenge/v2')],
    ['no label', good.slice(CHALLENGE_PROTOCOL_LABEL.length + 1)],
    ['fields out of order', good.replace(/aud=([^;]+);cid=([^;]+)/, 'cid=$2;aud=$1')],
    ['a missing field', good.replace(/;rnd=[^;]+/, '')],
    ['a repeated field', good.replace(/;did=([^;]+)/, ';did=$1;did=$1')],
    ['an extra field', `${good};x=1`],
    ['a trailing newline', `${good}\n`],
    ['an empty value', good.replace(/did=[^;]+/, 'did=')],
    ['short randomness', good.replace(/rnd=[^;]+/, 'rnd=AAAA')],
    ['randomness outside base64url', good.replace(/rnd=[^;]+/, `rnd=${'+'.repeat(43)}`)],
    ['an expiry without milliseconds', good.replace(/exp=.*$/, 'exp=2026-11-21T08:01:00Z')],
    ['an expiry with an offset', good.replace(/exp=.*$/, 'exp=2026-11-21T08:01:00.000+01:00')],
    ['an expiry that is no date', good.replace(/exp=.*$/, 'exp=2026-02-30T08:01:00.000Z')],
    ['white space in a value', good.replace('did=scanner-floor-3', 'did=scanner floor')],
    ['the empty string', ''],
  ])('refuses %s', (_, nonce) => {
    expect(parseChallengeNonce(nonce)).toBeNull();
  });
});
