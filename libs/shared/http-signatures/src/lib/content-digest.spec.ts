import { checkContentDigest, contentDigest } from './content-digest';

// RFC 9530 §2 and Appendix B: the representation `{"hello": "world"}`.
const HELLO = Buffer.from('{"hello": "world"}');
const HELLO_SHA_256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';
const HELLO_SHA_512 = 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:';
// SHA-256 of zero bytes (FIPS 180-4), the digest of an empty body.
const EMPTY_SHA_256 = 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:';

describe('Content-Digest (RFC 9530)', () => {
  it('computes the RFC values', () => {
    expect(contentDigest(HELLO)).toBe(HELLO_SHA_256);
    expect(contentDigest(HELLO, 'sha-256')).toBe(HELLO_SHA_256);
    expect(contentDigest(HELLO, 'sha-512')).toBe(HELLO_SHA_512);
    expect(contentDigest(undefined)).toBe(EMPTY_SHA_256);
    expect(contentDigest(new Uint8Array())).toBe(EMPTY_SHA_256);
  });

  it.each([HELLO_SHA_256, HELLO_SHA_512, `${HELLO_SHA_256}, ${HELLO_SHA_512}`, `md5=:AAAA:, ${HELLO_SHA_512}`])('accepts %s', (field) => {
    expect(checkContentDigest(field, HELLO)).toBe('match');
  });

  it('refuses a body that differs by one byte, under either algorithm', () => {
    const other = Buffer.from('{"hello": "World"}');
    expect(checkContentDigest(HELLO_SHA_256, other)).toBe('mismatch');
    expect(checkContentDigest(HELLO_SHA_512, other)).toBe('mismatch');
    expect(checkContentDigest(HELLO_SHA_256, undefined)).toBe('mismatch');
  });

  it('refuses when one of two digests is wrong', () => {
    expect(checkContentDigest(`${HELLO_SHA_256}, ${EMPTY_SHA_256.replace('sha-256', 'sha-512')}`, HELLO)).toBe('mismatch');
  });

  it('names fields it cannot check', () => {
    expect(checkContentDigest('md5=:XrY7u+Ae7tCTyyK7j1rNww==:', HELLO)).toBe('unsupported');
    expect(checkContentDigest('', HELLO)).toBe('unsupported');
    expect(checkContentDigest('sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="', HELLO)).toBe('malformed');
    expect(checkContentDigest('sha-256=:not base64', HELLO)).toBe('malformed');
  });
});
