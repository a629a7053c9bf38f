import type { Clock } from '@m2m-trust/shared-contracts';
import { loadConfig, ServiceAudience } from '@m2m-trust/shared-platform';
import type { StoredTokenSigningKey, TokenSigningKeyRepository } from '@m2m-trust/token-data-access';

import { generateKeyPairSync } from 'node:crypto';
import { base64url, calculateJwkThumbprint, createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWK, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';

import { JoseAccessTokens } from './jose-access-tokens';
import { OAuthIssuer } from './oauth-issuer';
import { TokenSigningKeyRing } from './token-signing-key-ring';

/** The port's contract in memory (the SQLite and PostgreSQL stores have their own integration suites). */
class InMemoryKeys implements TokenSigningKeyRepository {
  rows: StoredTokenSigningKey[] = [];
  async list(): Promise<StoredTokenSigningKey[]> {
    return [...this.rows].sort((a, b) => a.generation - b.generation);
  }
  async add(key: StoredTokenSigningKey): Promise<boolean> {
    if (this.rows.some((row) => row.generation === key.generation || row.kid === key.kid)) return false;
    this.rows.push(key);
    return true;
  }
  async deleteBelow(generation: number): Promise<void> {
    this.rows = this.rows.filter((row) => row.generation >= generation);
  }
}

class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

const ISSUER = 'https://auth.example.test';
const SUBJECT = { deviceId: 'robot-arm-7', keyThumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', tokenId: '0b0d1a5e-8a9c-4b1e-9f3e-2d4c6a8b0e12' };

function setUp(env: Record<string, string> = {}, shared?: { keys: InMemoryKeys; clock: ManualClock }) {
  const config = loadConfig({ M2M_TOKEN_ISSUER: ISSUER, M2M_TOKEN_KEY_ROTATION_SECONDS: '3600', ...env });
  const keys = shared?.keys ?? new InMemoryKeys();
  const clock = shared?.clock ?? new ManualClock(new Date('2026-03-01T12:00:00.000Z'));
  const ring = new TokenSigningKeyRing(keys, clock, config);
  const audience = new ServiceAudience(config);
  audience.useListeningUrl('http://127.0.0.1:1');
  return { keys, clock, ring, tokens: new JoseAccessTokens(ring, new OAuthIssuer(config, audience), clock, config) };
}

describe('JoseAccessTokens', () => {
  it('issues an EdDSA at+jwt with the ring key as kid and the claims of docs/tokens.md', async () => {
    const { ring, tokens, clock } = setUp({ M2M_TOKEN_AUDIENCE: 'https://api.example.test', M2M_TOKEN_TTL_SECONDS: '120' });
    await ring.refresh();
    const issued = await tokens.issue(SUBJECT);

    expect(issued).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 120 });
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({ alg: 'EdDSA', kid: ring.signingKey().kid, typ: 'at+jwt' });
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(decodeJwt(issued.accessToken)).toEqual({
      iss: ISSUER,
      sub: SUBJECT.deviceId,
      client_id: SUBJECT.deviceId,
      aud: 'https://api.example.test',
      iat,
      exp: iat + 120,
      jti: SUBJECT.tokenId,
      device_key_thumbprint: SUBJECT.keyThumbprint,
    });
    // A resource server with only the published key set verifies it.
    const jwks = createLocalJWKSet({ keys: ring.published().map((key) => key.jwk) });
    await expect(jwtVerify(issued.accessToken, jwks, { issuer: ISSUER, audience: 'https://api.example.test', currentDate: clock.now() })).resolves.toBeDefined();
  });

  it('names each key by the RFC 7638 thumbprint of its public JWK', async () => {
    const { ring } = setUp();
    await ring.refresh();
    const [key] = ring.published();
    expect(key?.jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: key?.kid, alg: 'EdDSA', use: 'sig' });
    expect(await calculateJwkThumbprint(key?.jwk as JWK)).toBe(key?.kid);
  });

  it('defaults the audience to the issuer and the issuer to the listening URL', async () => {
    const config = loadConfig({});
    const audience = new ServiceAudience(config);
    audience.useListeningUrl('http://127.0.0.1:4567');
    const issuer = new OAuthIssuer(config, audience);
    expect([issuer.issuer(), issuer.audience(), issuer.endpoint('/oauth2/token')]).toEqual(['http://127.0.0.1:4567', 'http://127.0.0.1:4567', 'http://127.0.0.1:4567/oauth2/token']);
  });

  it('verifies its own token until it expires, and not at or after exp', async () => {
    const { ring, tokens, clock } = setUp({ M2M_TOKEN_TTL_SECONDS: '300' });
    await ring.refresh();
    const { accessToken } = await tokens.issue(SUBJECT);
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(await tokens.verify(accessToken)).toEqual({ iss: ISSUER, sub: SUBJECT.deviceId, aud: ISSUER, iat, exp: iat + 300, jti: SUBJECT.tokenId, deviceKeyThumbprint: SUBJECT.keyThumbprint });
    clock.advance(299);
    expect(await tokens.verify(accessToken)).not.toBeNull();
    clock.advance(1);
    expect(await tokens.verify(accessToken)).toBeNull();
  });

  it('refuses a token for another audience or from another issuer, though signed by the same ring', async () => {
    const { keys, clock, ring, tokens } = setUp();
    await ring.refresh();
    const otherAudience = setUp({ M2M_TOKEN_AUDIENCE: 'https://elsewhere.example.test' }, { keys, clock });
    const otherIssuer = setUp({ M2M_TOKEN_ISSUER: 'https://other-issuer.example.test' }, { keys, clock });
    await Promise.all([otherAudience.ring.refresh(), otherIssuer.ring.refresh()]);
    expect(await tokens.verify((await otherAudience.tokens.issue(SUBJECT)).accessToken)).toBeNull();
    expect(await tokens.verify((await otherIssuer.tokens.issue(SUBJECT)).accessToken)).toBeNull();
    expect(await otherAudience.tokens.verify((await otherAudience.tokens.issue(SUBJECT)).accessToken)).not.toBeNull();
  });

  describe('refuses what it did not sign as an access token', () => {
    let context: ReturnType<typeof setUp>;
    let claims: Record<string, unknown>;
    beforeEach(async () => {
      context = setUp();
      await context.ring.refresh();
      claims = decodeJwt((await context.tokens.issue(SUBJECT)).accessToken);
    });
    const sign = (privateKey: Parameters<SignJWT['sign']>[0], header: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(privateKey);

    it('a token signed by a key outside the ring, under a kid the ring does not know', async () => {
      const foreign = generateKeyPairSync('ed25519').privateKey;
      expect(await context.tokens.verify(await sign(foreign, { kid: 'not-a-ring-key', typ: 'at+jwt' }))).toBeNull();
    });

    it('a token signed by a key outside the ring under the ring key\'s kid', async () => {
      const foreign = generateKeyPairSync('ed25519').privateKey;
      expect(await context.tokens.verify(await sign(foreign, { kid: context.ring.signingKey().kid, typ: 'at+jwt' }))).toBeNull();
    });

    it('a token with no kid', async () => {
      expect(await context.tokens.verify(await sign(context.ring.signingKey().privateKey, { typ: 'at+jwt' }))).toBeNull();
    });

    it('an unsecured token (alg "none")', async () => {
      const unsecured = new UnsecuredJWT(claims).encode();
      const [, payload] = unsecured.split('.');
      const header = base64url.encode(JSON.stringify({ alg: 'none', kid: context.ring.signingKey().kid, typ: 'at+jwt' }));
      expect(await context.tokens.verify(`${header}.${payload}.`)).toBeNull();
    });

    it('a ring-signed JWT that is not an access token (typ)', async () => {
      const key = context.ring.signingKey();
      expect(await context.tokens.verify(await sign(key.privateKey, { kid: key.kid, typ: 'JWT' }))).toBeNull();
      expect(await context.tokens.verify(await sign(key.privateKey, { kid: key.kid, typ: 'at+jwt' }))).not.toBeNull();
    });

    it('a ring-signed access token without the device key thumbprint', async () => {
      const key = context.ring.signingKey();
      delete claims['device_key_thumbprint'];
      expect(await context.tokens.verify(await sign(key.privateKey, { kid: key.kid, typ: 'at+jwt' }))).toBeNull();
    });

    it('a token whose payload was changed after signing', async () => {
      const { accessToken } = await context.tokens.issue(SUBJECT);
      const [header, , signature] = accessToken.split('.');
      const forged = base64url.encode(JSON.stringify({ ...claims, sub: 'another-device' }));
      expect(await context.tokens.verify(`${header}.${forged}.${signature}`)).toBeNull();
    });

    it('garbage', async () => {
      for (const junk of ['', 'abc', 'a.b.c', `${'x'.repeat(20)}.${'y'.repeat(20)}.`]) expect(await context.tokens.verify(junk)).toBeNull();
    });
  });
});

describe('TokenSigningKeyRing', () => {
  it('publishes the next key ahead of signing with it, then retires the old one once its tokens have expired', async () => {
    const { ring, tokens, clock } = setUp({ M2M_TOKEN_TTL_SECONDS: '300' });
    await ring.refresh();
    const first = ring.signingKey();
    const schedule = ring.schedule;
    expect(schedule.publishAheadSeconds).toBe(900);

    clock.advance(3_600 - 900);
    await ring.refresh();
    const published = ring.published().map((key) => key.kid);
    expect(published).toHaveLength(2);
    const second = ring.published()[1];
    expect(second?.activatesAt).toEqual(new Date(first.activatesAt.getTime() + 3_600_000));
    // Announced, not yet signing, up to the last second of the first key's period.
    expect(ring.signingKey().kid).toBe(first.kid);
    clock.advance(899);
    const lastOfFirst = await tokens.issue(SUBJECT);
    expect(decodeProtectedHeader(lastOfFirst.accessToken).kid).toBe(first.kid);

    clock.advance(1);
    await ring.refresh();
    expect(ring.signingKey().kid).toBe(second?.kid);
    expect(decodeProtectedHeader((await tokens.issue(SUBJECT)).accessToken).kid).toBe(second?.kid);
    // The old key's tokens still verify: it stays published.
    expect(await tokens.verify(lastOfFirst.accessToken)).not.toBeNull();
    expect(ring.published().map((key) => key.kid)).toEqual([first.kid, second?.kid]);

    clock.advance(schedule.ttlSeconds - 2);
    expect(await tokens.verify(lastOfFirst.accessToken)).not.toBeNull();
    clock.advance(1);
    expect(await tokens.verify(lastOfFirst.accessToken)).toBeNull();
    clock.advance(schedule.graceSeconds);
    await ring.refresh();
    expect(ring.published().map((key) => key.kid)).toContain(first.kid);
    clock.advance(1);
    await ring.refresh();
    expect(ring.published().map((key) => key.kid)).toEqual([second?.kid]);
  });

  it('rereads the ring when a token names a kid it does not know, e.g. one another instance started signing with', async () => {
    const a = setUp();
    await a.ring.refresh();
    const b = setUp({}, { keys: a.keys, clock: a.clock });
    await b.ring.refresh();
    // A rotates and signs with the new key; B has not reread since.
    a.clock.advance(3_600);
    await a.ring.refresh();
    a.clock.advance(900);
    const { accessToken } = await a.tokens.issue(SUBJECT);
    expect(decodeProtectedHeader(accessToken).kid).not.toBe(b.ring.signingKey().kid);
    expect(await b.tokens.verify(accessToken)).not.toBeNull();
  });
});
