import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { parseDictionary } from 'structured-headers';

import { signRequest } from './request-signature.signer';
import { type VerifyRequestSignatureOptions } from './request-signature.types';
import { verifyRequestSignature } from './request-signature.verifier';
import { type HttpRequestParts, signatureBase } from './signature-base';

// RFC 9421 Appendix B.1.4, "test-key-ed25519".
const RFC_PUBLIC_KEY = createPublicKey('-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n');
const RFC_PRIVATE_KEY = createPrivateKey('-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n');

// Appendix B.2: the test request.
const RFC_REQUEST: HttpRequestParts = {
  method: 'POST',
  targetUri: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  },
  body: Buffer.from('{"hello": "world"}'),
};

// Appendix B.2.6, "Signing a Request Using ed25519": the fields and the signature base, verbatim.
const B26_CREATED = 1618884473;
const B26_SIGNATURE_INPUT = 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const B26_SIGNATURE = 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';
const B26_SIGNATURE_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
].join('\n');

const signed = (fields: { input?: string; signature?: string } = {}, request: HttpRequestParts = RFC_REQUEST): HttpRequestParts => ({
  ...request,
  headers: { ...request.headers, 'signature-input': fields.input ?? B26_SIGNATURE_INPUT, signature: fields.signature ?? B26_SIGNATURE },
});

const withHeaders = (headers: Record<string, string>, targetUri = RFC_REQUEST.targetUri, method = RFC_REQUEST.method): HttpRequestParts =>
  signed({}, { ...RFC_REQUEST, method, targetUri, headers: { ...RFC_REQUEST.headers, ...headers } });

const keys = new Map<string, KeyObject>([['test-key-ed25519', RFC_PUBLIC_KEY]]);
// B.2.6 covers neither @target-uri nor content-digest: require what it does cover.
const options = (overrides: Partial<VerifyRequestSignatureOptions> = {}): VerifyRequestSignatureOptions => ({
  resolveKey: async (keyId) => keys.get(keyId) ?? null,
  requiredComponents: ['@method', '@path', '@authority'],
  maxAgeSeconds: 300,
  now: B26_CREATED * 1000,
  ...overrides,
});

describe('RFC 9421 Appendix B.2.6 (Ed25519)', () => {
  it('builds the RFC signature base byte for byte', () => {
    const input = parseDictionary(B26_SIGNATURE_INPUT).get('sig-b26') as [Array<[string, Map<string, never>]>, Map<string, number | string>];
    expect(signatureBase(RFC_REQUEST, input[0], input[1])).toBe(B26_SIGNATURE_BASE);
  });

  it("verifies the RFC's published signature with the RFC's published key", async () => {
    const result = await verifyRequestSignature(signed(), options());
    expect(result).toEqual({
      ok: true,
      keyId: 'test-key-ed25519',
      label: 'sig-b26',
      created: B26_CREATED,
      expires: null,
      nonce: null,
      tag: null,
      components: ['"date"', '"@method"', '"@path"', '"@authority"', '"content-type"', '"content-length"'],
      signature: expect.any(Uint8Array),
    });
  });

  it('signs to the RFC fields exactly (Ed25519 is deterministic)', () => {
    const fields = signRequest(RFC_REQUEST, {
      key: RFC_PRIVATE_KEY,
      keyId: 'test-key-ed25519',
      label: 'sig-b26',
      components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      created: B26_CREATED * 1000,
      includeAlg: false,
    });
    expect(fields).toEqual({ 'signature-input': B26_SIGNATURE_INPUT, signature: B26_SIGNATURE });
  });

  describe('tampered variants are refused', () => {
    it.each([
      ['the method', withHeaders({}, RFC_REQUEST.targetUri, 'PUT')],
      ['the path', withHeaders({}, 'https://example.com/foo/bar?param=Value&Pet=dog')],
      ['the authority', withHeaders({}, 'https://example.org/foo?param=Value&Pet=dog')],
      ['the authority port', withHeaders({}, 'https://example.com:8443/foo?param=Value&Pet=dog')],
      ['a covered header value', withHeaders({ date: 'Tue, 20 Apr 2021 02:07:56 GMT' })],
      ['another covered header value', withHeaders({ 'content-length': '19' })],
      ['created', signed({ input: B26_SIGNATURE_INPUT.replace('1618884473', '1618884474') })],
      ['a component dropped from the covered list', signed({ input: B26_SIGNATURE_INPUT.replace(' "content-length"', '') })],
      ['the covered order', signed({ input: B26_SIGNATURE_INPUT.replace('"date" "@method"', '"@method" "date"') })],
      ['an added alg="ed25519" (it is signed over)', signed({ input: `${B26_SIGNATURE_INPUT};alg="ed25519"` })],
      ['one signature byte', signed({ signature: B26_SIGNATURE.replace('wqcA', 'wqcB') })],
      ['the last signature byte', signed({ signature: B26_SIGNATURE.replace('KRCw==', 'KRDw==') })],
    ])('%s', async (_, request) => {
      const result = await verifyRequestSignature(request, options());
      expect(result).toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID' });
    });

    it('an uncovered header or query changes nothing (the signature says what it covers)', async () => {
      const request = withHeaders({ 'content-digest': 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:' }, 'https://example.com/foo?param=other');
      await expect(verifyRequestSignature(request, options())).resolves.toMatchObject({ ok: true });
    });

    it('a component required by policy but dropped from the list is named missing', async () => {
      const request = signed({ input: B26_SIGNATURE_INPUT.replace(' "@authority"', '') });
      await expect(verifyRequestSignature(request, options())).resolves.toMatchObject({ ok: false, reason: 'COMPONENT_MISSING' });
    });

    it('a covered header removed from the request is named missing', async () => {
      const { date: _date, ...headers } = RFC_REQUEST.headers;
      await expect(verifyRequestSignature(signed({}, { ...RFC_REQUEST, headers }), options())).resolves.toMatchObject({ ok: false, reason: 'COMPONENT_MISSING' });
    });

    it('a different label: refused when the verifier expects sig-b26', async () => {
      const request = signed({ input: B26_SIGNATURE_INPUT.replace('sig-b26=', 'sig1='), signature: B26_SIGNATURE.replace('sig-b26=', 'sig1=') });
      await expect(verifyRequestSignature(request, options({ label: 'sig-b26' }))).resolves.toMatchObject({ ok: false, reason: 'SIGNATURE_MISSING' });
      // The label is not part of the signature base (RFC 9421 §4.1), so the same bytes verify under another name when no label is fixed.
      await expect(verifyRequestSignature(request, options())).resolves.toMatchObject({ ok: true, label: 'sig1' });
    });

    it('Signature-Input and Signature under different labels', async () => {
      const request = signed({ signature: B26_SIGNATURE.replace('sig-b26=', 'sig-other=') });
      await expect(verifyRequestSignature(request, options())).resolves.toMatchObject({ ok: false, reason: 'SIGNATURE_MISSING' });
    });

    it.each(['rsa-pss-sha512', 'ecdsa-p256-sha256', 'hmac-sha256', 'ED25519'])('alg="%s" is refused', async (alg) => {
      const request = signed({ input: `${B26_SIGNATURE_INPUT};alg="${alg}"` });
      await expect(verifyRequestSignature(request, options())).resolves.toMatchObject({ ok: false, reason: 'ALGORITHM_UNSUPPORTED' });
    });

    it('a keyid whose key is not Ed25519 is refused before any verification', async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const result = await verifyRequestSignature(signed(), options({ resolveKey: async () => publicKey }));
      expect(result).toMatchObject({ ok: false, reason: 'ALGORITHM_UNSUPPORTED' });
    });

    it('another keyid, even one that resolves to the same key (keyid is signed over)', async () => {
      const request = signed({ input: B26_SIGNATURE_INPUT.replace('test-key-ed25519', 'device-7') });
      await expect(verifyRequestSignature(request, options({ resolveKey: async () => RFC_PUBLIC_KEY }))).resolves.toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID' });
      await expect(verifyRequestSignature(request, options())).resolves.toMatchObject({ ok: false, reason: 'KEY_UNKNOWN' });
    });

    it('an unknown keyid', async () => {
      await expect(verifyRequestSignature(signed(), options({ resolveKey: async () => null }))).resolves.toMatchObject({ ok: false, reason: 'KEY_UNKNOWN' });
    });

    it('another Ed25519 key under the same keyid', async () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      await expect(verifyRequestSignature(signed(), options({ resolveKey: async () => publicKey }))).resolves.toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID' });
    });

    it('created older than the window, and ahead of it', async () => {
      await expect(verifyRequestSignature(signed(), options({ now: (B26_CREATED + 301) * 1000 }))).resolves.toMatchObject({ ok: false, reason: 'SIGNATURE_EXPIRED' });
      await expect(verifyRequestSignature(signed(), options({ now: (B26_CREATED + 300) * 1000 }))).resolves.toMatchObject({ ok: true });
      await expect(verifyRequestSignature(signed(), options({ now: (B26_CREATED - 301) * 1000 }))).resolves.toMatchObject({ ok: false, reason: 'SIGNATURE_FROM_FUTURE' });
      await expect(verifyRequestSignature(signed(), options({ now: (B26_CREATED - 300) * 1000 }))).resolves.toMatchObject({ ok: true });
    });

    it('the default policy refuses the RFC example: it covers neither @target-uri nor content-digest', async () => {
      const result = await verifyRequestSignature(signed(), options({ requiredComponents: undefined }));
      expect(result).toMatchObject({ ok: false, reason: 'COMPONENT_MISSING', detail: 'The signature must cover "@target-uri", "content-digest"' });
    });
  });
});
