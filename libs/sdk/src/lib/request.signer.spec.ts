import { getPublicKeyAsync, verifyAsync } from '@noble/ed25519';

import { decodePrivateKey } from './device-keys';
import { base64ToBytes } from './encoding';
import { contentDigest, requestSignatureBase, signRequest } from './request.signer';

// RFC 9421 Appendix B.1.4 ("test-key-ed25519") and the B.2 test request.
const RFC_PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n';
const RFC_PUBLIC_KEY_X = 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs';
const RFC_REQUEST = {
  method: 'POST',
  url: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    Host: 'example.com',
    Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type': 'application/json',
    'Content-Digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'Content-Length': '18',
  },
  body: '{"hello": "world"}',
};
// Appendix B.2.6.
const B26_COMPONENTS = ['date', '@method', '@path', '@authority', 'content-type', 'content-length'];
const B26_PARAMS = '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const B26_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  `"@signature-params": ${B26_PARAMS}`,
].join('\n');
const B26_SIGNATURE = 'wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('signRequest against RFC 9421 Appendix B.2.6', () => {
  it('uses the RFC key', async () => {
    expect(await getPublicKeyAsync(decodePrivateKey(RFC_PRIVATE_KEY))).toEqual(base64ToBytes(RFC_PUBLIC_KEY_X));
  });

  it('builds the RFC signature base', () => {
    expect(requestSignatureBase(RFC_REQUEST, B26_COMPONENTS, B26_PARAMS)).toBe(B26_BASE);
  });

  it('produces the RFC Signature-Input and Signature', async () => {
    const fields = await signRequest(RFC_REQUEST, {
      deviceId: 'test-key-ed25519',
      privateKey: RFC_PRIVATE_KEY,
      components: B26_COMPONENTS,
      label: 'sig-b26',
      created: 1618884473_000,
      nonce: false,
      includeAlg: false,
    });
    expect(fields).toEqual({ 'signature-input': `sig-b26=${B26_PARAMS}`, signature: `sig-b26=:${B26_SIGNATURE}:` });
  });
});

describe('signRequest with the service profile', () => {
  const seed = new Uint8Array(32).fill(7);
  const request = { method: 'post', url: 'http://127.0.0.1:8080/v1/readings?batch=7', headers: { 'content-type': 'application/json' }, body: '{"t":21.5}' };

  it('covers @method, @target-uri and content-digest, with created, a nonce, keyid and alg', async () => {
    const fields = await signRequest(request, { deviceId: 'scanner-7', privateKey: seed, created: Date.parse('2026-03-01T12:00:00Z') });
    expect(fields['content-digest']).toBe(await contentDigest('{"t":21.5}'));
    expect(fields['signature-input']).toMatch(/^sig1=\("@method" "@target-uri" "content-digest"\);created=1772366400;nonce="[A-Za-z0-9_-]{22}";keyid="scanner-7";alg="ed25519"$/);
    const params = fields['signature-input'].slice('sig1='.length);
    const base = requestSignatureBase({ ...request, headers: { ...request.headers, 'content-digest': fields['content-digest']! } }, ['@method', '@target-uri', 'content-digest'], params);
    expect(base.split('\n').slice(0, 2)).toEqual(['"@method": POST', '"@target-uri": http://127.0.0.1:8080/v1/readings?batch=7']);
    const signature = base64ToBytes(fields.signature.slice('sig1=:'.length, -1))!;
    expect(await verifyAsync(signature, utf8(base), await getPublicKeyAsync(seed))).toBe(true);
  });

  it('draws a fresh nonce each time', async () => {
    const a = await signRequest(request, { deviceId: 'd', privateKey: seed, created: 0 });
    const b = await signRequest(request, { deviceId: 'd', privateKey: seed, created: 0 });
    expect(a['signature-input']).not.toBe(b['signature-input']);
  });

  it('escapes string parameters and refuses what a structured field cannot carry', async () => {
    const fields = await signRequest(request, { deviceId: 'we"ird\\id', privateKey: seed, nonce: 'n', tag: 'app' });
    expect(fields['signature-input']).toContain(';keyid="we\\"ird\\\\id";alg="ed25519";tag="app"');
    await expect(signRequest(request, { deviceId: 'dévice', privateKey: seed })).rejects.toThrow(TypeError);
    await expect(signRequest(request, { deviceId: 'd', privateKey: seed, label: 'Sig' })).rejects.toThrow(TypeError);
    await expect(signRequest(request, { deviceId: 'd', privateKey: seed, components: ['@method', 'x-absent'] })).rejects.toThrow('x-absent');
    await expect(signRequest(request, { deviceId: 'd', privateKey: seed, components: ['@status'] })).rejects.toThrow('@status');
  });
});

describe('contentDigest (RFC 9530)', () => {
  it('gives the RFC values for {"hello": "world"}', async () => {
    await expect(contentDigest('{"hello": "world"}')).resolves.toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    await expect(contentDigest(utf8('{"hello": "world"}'), 'sha-512')).resolves.toBe(
      'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    );
    await expect(contentDigest(undefined)).resolves.toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });
});
