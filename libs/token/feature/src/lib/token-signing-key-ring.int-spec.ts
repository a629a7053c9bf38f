import type { Clock } from '@m2m-trust/shared-contracts';
import { openSqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';
import { loadConfig, ServiceAudience } from '@m2m-trust/shared-platform';
import { openPostgresDatabase } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';
import type { TokenSigningKeyRepository } from '@m2m-trust/token-data-access';
import { PostgresTokenSigningKeyRepository, PostgresTokenSigningKeys1763700001260 } from '@m2m-trust/token-data-access/postgres';
import { SqliteTokenSigningKeyRepository, TokenSigningKeys1763700000260 } from '@m2m-trust/token-data-access/sqlite';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { JoseAccessTokens } from './jose-access-tokens';
import { OAuthIssuer } from './oauth-issuer';
import { TokenSigningKeyRing } from './token-signing-key-ring';

class ManualClock implements Clock {
  private current = new Date('2026-03-01T12:00:00.000Z');
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

const config = loadConfig({ M2M_TOKEN_ISSUER: 'https://auth.example.test', M2M_TOKEN_KEY_ROTATION_SECONDS: '3600', M2M_TOKEN_TTL_SECONDS: '300' });
const SUBJECT = { deviceId: 'sensor-1', keyThumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', tokenId: '7f1c2a34-5b6d-4e8f-9a0b-1c2d3e4f5a6b' };

/** One service instance: its own connection to the shared store, its own ring in memory. */
function instance(repository: TokenSigningKeyRepository, clock: Clock) {
  const ring = new TokenSigningKeyRing(repository, clock, config);
  return { ring, tokens: new JoseAccessTokens(ring, new OAuthIssuer(config, new ServiceAudience(config)), clock, config) };
}

/** Several instances sharing one ring through a store, each on its own connection. */
function sharesOneRing(connect: () => Promise<{ repository: TokenSigningKeyRepository; close(): Promise<void> }>): void {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const instances = async (count: number, clock: Clock) =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const { repository, close } = await connect();
        closers.push(close);
        return { repository, ...instance(repository, clock) };
      }),
    );

  it('agrees on one first key when instances start together, and on one successor when they rotate together', async () => {
    const clock = new ManualClock();
    const [a, b, c] = await instances(3, clock);
    await Promise.all([a!.ring.refresh(), b!.ring.refresh(), c!.ring.refresh()]);
    expect(await a!.repository.list()).toHaveLength(1);
    const first = a!.ring.signingKey().kid;
    expect([b!.ring.signingKey().kid, c!.ring.signingKey().kid]).toEqual([first, first]);

    clock.advance(3_600 - 900);
    await Promise.all([a!.ring.refresh(), b!.ring.refresh(), c!.ring.refresh()]);
    const stored = await a!.repository.list();
    expect(stored.map((key) => key.generation)).toEqual([1, 2]);
    for (const { ring } of [a!, b!, c!]) {
      expect(ring.published().map((key) => key.kid)).toEqual(stored.map((key) => key.kid));
      expect(ring.signingKey().kid).toBe(first);
    }

    clock.advance(900);
    const { accessToken } = await b!.tokens.issue(SUBJECT);
    expect(b!.ring.signingKey().kid).toBe(stored[1]?.kid);
    // Signed by one instance, verified by another from the shared ring.
    expect(await c!.tokens.verify(accessToken)).toMatchObject({ sub: SUBJECT.deviceId, jti: SUBJECT.tokenId });
  });

  it('drops a retired key from the store once its tokens have expired; a later instance reads only the live ring', async () => {
    const clock = new ManualClock();
    const [a] = await instances(1, clock);
    await a!.ring.refresh();
    clock.advance(3_600 - 900);
    await a!.ring.refresh();
    const [, second] = await a!.repository.list();
    clock.advance(900 + 300 + 60);
    await a!.ring.refresh();
    expect((await a!.repository.list()).map((key) => key.kid)).toEqual([second?.kid]);

    const [late] = await instances(1, clock);
    await late!.ring.refresh();
    expect(late!.ring.published().map((key) => key.kid)).toEqual([second?.kid]);
    expect(late!.ring.signingKey().kid).toBe(second?.kid);
  });
}

describe('TokenSigningKeyRing on SQLite (real SQLite, one file, several connections)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'm2m-token-ring-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  sharesOneRing(async () => {
    const database = await openSqliteDatabase(dir, [TokenSigningKeys1763700000260]);
    return { repository: new SqliteTokenSigningKeyRepository(database.db), close: () => database.close() };
  });
});

describe('TokenSigningKeyRing on PostgreSQL (real PostgreSQL, one schema, a pool per instance)', () => {
  let schema: string;
  beforeEach(() => (schema = uniqueSchema('token_ring')));
  afterEach(() => dropSchema(schema));

  sharesOneRing(async () => {
    const database = await openPostgresDatabase({
      url: TEST_DATABASE_URL,
      schema,
      migrations: [PostgresTokenSigningKeys1763700001260],
      applicationName: 'token-ring-int-spec',
    });
    return { repository: new PostgresTokenSigningKeyRepository(database.pool), close: () => database.close() };
  });
});
