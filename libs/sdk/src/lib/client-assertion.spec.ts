import { base64url, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

import { signClientAssertion } from './client-assertion';
import { derivePublicKeyHex, generateKeyPair } from './device-keys';
import { hexToBytes } from './encoding';

describe('signClientAssertion', () => {
  it('signs a one-time EdDSA assertion with iss = sub = the device, the audience, a short exp and a fresh jti', async () => {
    const keys = await generateKeyPair();
    const before = Math.floor(Date.now() / 1000);
    const first = await signClientAssertion({ deviceId: 'pump-17', privateKey: keys.privateKey, audience: 'https://auth.example.com/oauth2/token' });
    const second = await signClientAssertion({ deviceId: 'pump-17', privateKey: keys.privateKey, audience: 'https://auth.example.com/oauth2/token', lifetimeSeconds: 30 });

    const x = base64url.encode(hexToBytes(await derivePublicKeyHex(keys.privateKey))!);
    const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x }, 'EdDSA');
    const { payload } = await jwtVerify(first, publicKey, { issuer: 'pump-17', subject: 'pump-17', audience: 'https://auth.example.com/oauth2/token', algorithms: ['EdDSA'] });
    expect(decodeProtectedHeader(first)).toEqual({ alg: 'EdDSA' });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    const { payload: other } = await jwtVerify(second, publicKey, { algorithms: ['EdDSA'] });
    expect(other.exp! - other.iat!).toBe(30);
    expect(other.jti).toEqual(expect.any(String));
    expect(other.jti).not.toBe(payload.jti);
  });

  it('does not sign with another key than the one given, and refuses a nonsense lifetime', async () => {
    const [mine, theirs] = [await generateKeyPair(), await generateKeyPair()];
    const assertion = await signClientAssertion({ deviceId: 'd', privateKey: mine.privateKey, audience: 'a' });
    const x = base64url.encode(hexToBytes(await derivePublicKeyHex(theirs.privateKey))!);
    await expect(jwtVerify(assertion, await importJWK({ kty: 'OKP', crv: 'Ed25519', x }, 'EdDSA'))).rejects.toThrow();
    await expect(signClientAssertion({ deviceId: 'd', privateKey: mine.privateKey, audience: 'a', lifetimeSeconds: 0 })).rejects.toThrow(RangeError);
  });
});
