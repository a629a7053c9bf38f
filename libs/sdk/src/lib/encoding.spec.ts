import { randomBytes } from 'node:crypto';

import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes } from './encoding';

describe('encoding (without Buffer)', () => {
  it.each([0, 1, 2, 3, 31, 32, 33, 48, 64, 100])('agrees with Buffer on %i random bytes', (length) => {
    const bytes = new Uint8Array(randomBytes(length));
    const buffer = Buffer.from(bytes);
    expect(bytesToHex(bytes)).toBe(buffer.toString('hex'));
    expect(hexToBytes(buffer.toString('hex').toUpperCase())).toEqual(bytes);
    expect(bytesToBase64(bytes)).toBe(buffer.toString('base64'));
    expect(base64ToBytes(buffer.toString('base64'))).toEqual(bytes);
    expect(base64ToBytes(buffer.toString('base64url'))).toEqual(bytes);
  });

  it('refuses what is not hex or base64', () => {
    expect(hexToBytes('abc')).toBeNull();
    expect(hexToBytes('zz')).toBeNull();
    expect(base64ToBytes('a')).toBeNull();
    expect(base64ToBytes('ab*d')).toBeNull();
  });
});
