import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { APP_CONFIG, type AppConfig } from '@m2m-trust/shared-platform';
import { type StoredTokenSigningKey, TOKEN_SIGNING_KEY_REPOSITORY, type TokenSigningKeyRepository } from '@m2m-trust/token-data-access';
import { planRing, publishedUntil, retiresAt, signingKeyIndex, type TokenKeySchedule, tokenKeySchedule } from '@m2m-trust/token-domain';

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** A key of the ring as this instance last read it. */
export interface RingKey {
  readonly generation: number;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public half as the JWKS publishes it. */
  readonly jwk: JWK;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  /** When its successor activates; null while it has none. */
  readonly retiresAt: Date | null;
  /** When it leaves the JWKS (retirement + token lifetime + grace); null while it has no successor. */
  readonly publishedUntil: Date | null;
}

/** A verify that meets an unknown kid rereads the ring at most this often, so made-up kids cannot flood the database. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

/**
 * The Ed25519 keys that sign access tokens, kept in the service's database and
 * shared by every instance (docs/tokens.md). Each instance rereads the ring
 * every `reloadSeconds` and when a token names a kid it does not know; on
 * each reread it creates the next key when one is due and drops keys whose
 * tokens have all expired. Creation is an insert of the next generation, so of
 * two instances rotating at once one key wins and both then use it.
 */
@Injectable()
export class TokenSigningKeyRing implements OnModuleInit, OnModuleDestroy {
  readonly schedule: TokenKeySchedule;
  private readonly logger = new Logger('token-keys');
  private keys: readonly RingKey[] = [];
  /** By kid: deriving and checking a public key once per key, not once per reread. */
  private readonly parsed = new Map<string, Promise<PublicHalf>>();
  private inFlight: Promise<void> | null = null;
  private lastReload = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(TOKEN_SIGNING_KEY_REPOSITORY) private readonly repository: TokenSigningKeyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.schedule = tokenKeySchedule(config.tokens);
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'could not refresh the token signing keys; keeping the ones in memory'));
    }, this.schedule.reloadSeconds * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Rereads the ring, rotating and pruning it when due. Concurrent calls share one reread. */
  refresh(): Promise<void> {
    this.inFlight ??= this.reload().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** The key to sign with now. */
  signingKey(): RingKey {
    if (this.keys.length === 0) throw new Error('the token signing key ring is not loaded');
    return this.keys[signingKeyIndex(this.keys, this.clock.now())] as RingKey;
  }

  /** Every key in the JWKS: the signing key, keys announced ahead of signing and retired keys whose tokens may still be alive. */
  published(): readonly RingKey[] {
    const now = this.clock.now();
    return this.keys.filter((key) => key.publishedUntil === null || key.publishedUntil > now);
  }

  /** The public key that verifies a token with this kid, rereading the ring once if it is not known; null when it is not published. */
  async verificationKey(kid: string | undefined): Promise<KeyObject | null> {
    if (kid === undefined) return null;
    let key = this.published().find((candidate) => candidate.kid === kid);
    if (!key && this.clock.now().getTime() - this.lastReload >= UNKNOWN_KID_RELOAD_MS) {
      await this.refresh();
      key = this.published().find((candidate) => candidate.kid === kid);
    }
    return key?.publicKey ?? null;
  }

  private async reload(): Promise<void> {
    const now = this.clock.now();
    this.lastReload = now.getTime();
    let stored = await this.repository.list();
    const plan = planRing(stored, now, this.schedule);
    if (plan.next) {
      const created = await this.create(plan.next.generation, now, plan.next.activatesAt);
      if (await this.repository.add(created)) {
        this.logger.log({ kid: created.kid, generation: created.generation, activatesAt: created.activatesAt.toISOString() }, 'created a token signing key');
      }
      // Whether this instance's key or a faster instance's won, the table now says which.
      stored = await this.repository.list();
    }
    const { keepFrom } = planRing(stored, now, this.schedule);
    if ((stored[0]?.generation ?? keepFrom) < keepFrom) {
      await this.repository.deleteBelow(keepFrom);
      stored = stored.filter((key) => key.generation >= keepFrom);
    }
    this.keys = await Promise.all(stored.map((key, index) => this.toRingKey(stored, index, key)));
    const live = new Set(stored.map((key) => key.kid));
    for (const kid of this.parsed.keys()) if (!live.has(kid)) this.parsed.delete(kid);
  }

  private async create(generation: number, now: Date, activatesAt: Date): Promise<StoredTokenSigningKey> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
    return { generation, kid, privateKey, createdAt: now, activatesAt };
  }

  private async toRingKey(stored: readonly StoredTokenSigningKey[], index: number, key: StoredTokenSigningKey): Promise<RingKey> {
    let parsed = this.parsed.get(key.kid);
    if (!parsed) {
      parsed = publicJwk(key);
      this.parsed.set(key.kid, parsed);
    }
    const { publicKey, jwk } = await parsed;
    return {
      generation: key.generation,
      kid: key.kid,
      privateKey: key.privateKey,
      publicKey,
      jwk,
      createdAt: key.createdAt,
      activatesAt: key.activatesAt,
      retiresAt: retiresAt(stored, index),
      publishedUntil: publishedUntil(stored, index, this.schedule),
    };
  }
}

interface PublicHalf {
  readonly publicKey: KeyObject;
  readonly jwk: JWK;
}

async function publicJwk(key: StoredTokenSigningKey): Promise<PublicHalf> {
  const publicKey = createPublicKey(key.privateKey);
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const thumbprint = await calculateJwkThumbprint({ kty, crv, x } as JWK);
  // The stored kid is the thumbprint of the stored key; a row that says otherwise was tampered with or corrupted.
  if (thumbprint !== key.kid) throw new Error(`token signing key ${key.generation}: its kid is not its public key's thumbprint`);
  return { publicKey, jwk: { kty, crv, x, kid: key.kid, alg: 'EdDSA', use: 'sig' } as JWK };
}
