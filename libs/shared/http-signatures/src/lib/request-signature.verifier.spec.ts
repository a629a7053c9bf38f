import { createHash, generateKeyPairSync } from 'node:crypto';

import { signRequest,type SignRequestOptions } from './request-signature.signer';
import { type VerifyRequestSignatureOptions } from './request-signature.types';
import { verifyRequestSignature } from './request-signature.verifier';
import { type HttpRequestParts } from './signature-base';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const device = generateKeyPairSync('ed25519');

const request: HttpRequestParts = {
  method: 'POST',
  targetUri: 'https://m2m.example/v1/readings?batch=7',
  headers: { host: 'm2m.example', 'content-type': 'application/json' },
  body: Buffer.from('{"temperature":21.5}'),
};

const sign = (overrides: Partial<SignRequestOptions> = {}, target: HttpRequestParts = request): HttpRequestParts => ({
  ...target,
  headers: { ...target.headers, ...signRequest(target, { key: device.privateKey, keyId: 'scanner-7', created: NOW, ...overrides }) },
});

const options = (overrides: Partial<VerifyRequestSignatureOptions> = {}): VerifyRequestSignatureOptions => ({
  resolveKey: async (keyId) => (keyId === 'scanner-7' ? device.publicKey : null),
  maxAgeSeconds: 300,
  now: NOW,
  ...overrides,
});

const refusal = async (signed: HttpRequestParts, verify: Partial<VerifyRequestSignatureOptions> = {}) => {
  const result = await verifyRequestSignature(signed, options(verify));
  return result.ok ? 'accepted' : result.reason;
};

describe('verifyRequestSignature with the default policy (@method, @target-uri, content-digest, created)', () => {
  it('accepts what signRequest produces, and reports what was signed', async () => {
    const signed = sign({ nonce: 'n-1', tag: 'm2m-trust' });
    expect(signed.headers['content-digest']).toBe(`sha-256=:${createHash('sha256').update('{"temperature":21.5}').digest('base64')}:`);
    expect(signed.headers['signature-input']).toBe(
      `sig1=("@method" "@target-uri" "content-digest");created=${NOW / 1000};nonce="n-1";keyid="scanner-7";alg="ed25519";tag="m2m-trust"`,
    );
    await expect(verifyRequestSignature(signed, options({ tag: 'm2m-trust' }))).resolves.toMatchObject({
      ok: true,
      keyId: 'scanner-7',
      label: 'sig1',
      created: NOW / 1000,
      nonce: 'n-1',
      tag: 'm2m-trust',
      components: ['"@method"', '"@target-uri"', '"content-digest"'],
    });
  });

  it('signs an empty body with the digest of zero bytes (a GET still covers content-digest)', async () => {
    const get = sign({}, { method: 'GET', targetUri: 'https://m2m.example/v1/me', headers: { host: 'm2m.example' } });
    expect(get.headers['content-digest']).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
    await expect(refusal(get)).resolves.toBe('accepted');
  });

  it('accepts a sha-512 digest', async () => {
    await expect(refusal(sign({ digestAlgorithm: 'sha-512' }))).resolves.toBe('accepted');
  });

  it('refuses a body changed after signing', async () => {
    await expect(refusal({ ...sign(), body: Buffer.from('{"temperature":99.9}') })).resolves.toBe('CONTENT_DIGEST_MISMATCH');
    await expect(refusal({ ...sign(), body: undefined })).resolves.toBe('CONTENT_DIGEST_MISMATCH');
  });

  it('refuses a covered digest nobody can check', async () => {
    const signed = sign({}, { ...request, headers: { ...request.headers, 'content-digest': 'md5=:XrY7u+Ae7tCTyyK7j1rNww==:' } });
    await expect(refusal(signed)).resolves.toBe('CONTENT_DIGEST_UNSUPPORTED');
  });

  it('refuses a changed query, scheme or port (all in @target-uri)', async () => {
    const signed = sign();
    for (const targetUri of ['https://m2m.example/v1/readings?batch=8', 'http://m2m.example/v1/readings?batch=7', 'https://m2m.example:8443/v1/readings?batch=7']) {
      await expect(refusal({ ...signed, targetUri })).resolves.toBe('SIGNATURE_INVALID');
    }
  });

  it('refuses a replaced Content-Digest that matches the new body', async () => {
    const signed = sign();
    const body = Buffer.from('{"temperature":99.9}');
    const forged = { ...signed, body, headers: { ...signed.headers, 'content-digest': sign({}, { ...request, body }).headers['content-digest'] } };
    await expect(refusal(forged)).resolves.toBe('SIGNATURE_INVALID');
  });

  it('names what is missing or malformed', async () => {
    const signed = sign();
    const { signature: _s, ...withoutSignature } = signed.headers;
    const { 'signature-input': _i, signature: _t, ...unsigned } = signed.headers;
    await expect(refusal({ ...signed, headers: unsigned })).resolves.toBe('SIGNATURE_MISSING');
    await expect(refusal({ ...signed, headers: withoutSignature })).resolves.toBe('SIGNATURE_MALFORMED');
    await expect(refusal({ ...signed, headers: { ...signed.headers, 'signature-input': 'sig1=(' } })).resolves.toBe('SIGNATURE_MALFORMED');
    await expect(refusal({ ...signed, headers: { ...signed.headers, signature: 'sig1="not bytes"' } })).resolves.toBe('SIGNATURE_MALFORMED');
    await expect(refusal({ ...signed, headers: { ...signed.headers, 'signature-input': 'sig1="@method"' } })).resolves.toBe('SIGNATURE_MALFORMED');
    await expect(refusal(sign({ components: ['@method', '@target-uri'] }))).resolves.toBe('COMPONENT_MISSING');
    const { 'x-extra': _x, ...withoutExtra } = sign({ components: ['@method', '@target-uri', 'content-digest', 'x-extra'] }, { ...request, headers: { ...request.headers, 'x-extra': '1' } }).headers;
    await expect(refusal({ ...request, headers: withoutExtra })).resolves.toBe('COMPONENT_MISSING');
  });

  it('refuses parameters of the wrong type, and a signature without created or keyid', async () => {
    const input = sign().headers['signature-input'] as string;
    const headers = (value: string) => ({ ...sign().headers, 'signature-input': value });
    await expect(refusal({ ...request, headers: headers(input.replace(/created=\d+/, 'created="1772366400"')) })).resolves.toBe('SIGNATURE_MALFORMED');
    await expect(refusal({ ...request, headers: headers(input.replace(/created=\d+/, 'created=1772366400.5')) })).resolves.toBe('SIGNATURE_MALFORMED');
    await expect(refusal({ ...request, headers: headers(input.replace(/;created=\d+/, '')) })).resolves.toBe('COMPONENT_MISSING');
    await expect(refusal({ ...request, headers: headers(input.replace(';keyid="scanner-7"', '')) })).resolves.toBe('COMPONENT_MISSING');
    // Without created, when the policy allows it, the signature still has to verify: the parameters are signed over.
    await expect(refusal({ ...request, headers: headers(input.replace(/;created=\d+/, '')) }, { requireCreated: false })).resolves.toBe('SIGNATURE_INVALID');
  });

  it('refuses components it does not derive, and component parameters', async () => {
    const signed = sign();
    const status = (signed.headers['signature-input'] as string).replace('"content-digest"', '"content-digest" "@status"');
    await expect(refusal({ ...signed, headers: { ...signed.headers, 'signature-input': status } })).resolves.toBe('COMPONENT_UNSUPPORTED');
    const input = (signed.headers['signature-input'] as string).replace('"content-digest"', '"content-digest";sf');
    await expect(refusal({ ...signed, headers: { ...signed.headers, 'signature-input': input } })).resolves.toBe('COMPONENT_UNSUPPORTED');
    const twice = (signed.headers['signature-input'] as string).replace('"content-digest"', '"content-digest" "@method"');
    await expect(refusal({ ...signed, headers: { ...signed.headers, 'signature-input': twice } })).resolves.toBe('SIGNATURE_MALFORMED');
  });

  it('honours expires and the tag', async () => {
    await expect(refusal(sign({ expires: NOW + 60_000 }), { now: NOW + 61_000 })).resolves.toBe('SIGNATURE_EXPIRED');
    await expect(refusal(sign({ expires: NOW + 60_000 }), { now: NOW + 60_000 })).resolves.toBe('accepted');
    await expect(refusal(sign({ tag: 'other-app' }), { tag: 'm2m-trust' })).resolves.toBe('TAG_MISMATCH');
    await expect(refusal(sign(), { tag: 'm2m-trust' })).resolves.toBe('TAG_MISMATCH');
  });

  it('verifies the chosen label among several', async () => {
    const first = sign({ label: 'proxy', keyId: 'someone-else' });
    const second = signRequest(request, { key: device.privateKey, keyId: 'scanner-7', created: NOW, label: 'device' });
    const both = {
      ...request,
      headers: {
        ...first.headers,
        'signature-input': `${first.headers['signature-input']}, ${second['signature-input']}`,
        signature: `${first.headers['signature']}, ${second.signature}`,
      },
    };
    await expect(refusal(both)).resolves.toBe('KEY_UNKNOWN');
    await expect(refusal(both, { label: 'device' })).resolves.toBe('accepted');
  });

  it('never quotes the signature in a refusal', async () => {
    const signed = sign();
    const tampered = { ...signed, method: 'DELETE' };
    const result = await verifyRequestSignature(tampered, options());
    expect(result.ok).toBe(false);
    const value = (signed.headers['signature'] as string).split(':')[1] as string;
    expect(JSON.stringify(result)).not.toContain(value);
  });
});
