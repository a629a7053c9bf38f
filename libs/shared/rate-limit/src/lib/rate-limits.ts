import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { AbuseConfig } from '@m2m-trust/shared-platform';

import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { Counter, type Registry } from 'prom-client';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

import { RATE_LIMITS_TABLE } from './rate-limits.migration';

/** What a budget is counted per: a device (challenge, verify, token), a client address, an API key's actor id. */
export type RateLimitKind = 'device' | 'address' | 'apiKey';

/** Where the counters live: this process's memory, or a PostgreSQL table every instance shares. */
export type RateLimitStore = { readonly kind: 'memory' } | { readonly kind: 'postgres'; readonly pool: Pool; readonly schema: string };

/** A key's budget after a request it admitted: what the RateLimit-* fields of a success carry. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window ends and the budget is whole again. */
  readonly resetSeconds: number;
  readonly windowSeconds: number;
}

export interface RateLimitsOptions {
  /** Requests per window per key; 0 turns that kind off. */
  readonly limits: AbuseConfig['rateLimits'];
  readonly store: RateLimitStore;
  /** Where the refusal and store-failure counters go (the process's /metrics). */
  readonly registry?: Registry;
  /** 60 in production (the limits are per minute); tests shorten it. */
  readonly windowSeconds?: number;
}

/** Key prefixes keep the kinds apart in one table (and a device id never meets an address). */
const PREFIX: Record<RateLimitKind, string> = { device: 'device', address: 'address', apiKey: 'api-key' };

const PER_MINUTE: Record<RateLimitKind, keyof AbuseConfig['rateLimits']> = {
  device: 'devicePerMinute',
  address: 'addressPerMinute',
  apiKey: 'apiKeyPerMinute',
};

const WHAT: Record<RateLimitKind, string> = {
  device: 'for this device',
  address: 'from this client address',
  apiKey: 'with this API key',
};

/** A failing store is logged at most this often (every failure is counted in the metric). */
const STORE_FAILURE_LOG_INTERVAL_MS = 30_000;

interface KindLimiter {
  readonly points: number;
  /** The configured store. */
  readonly store: RateLimiterAbstract;
  /** Counts when the shared store fails: the same budget, per instance. Null when the store is memory already. */
  readonly fallback: RateLimiterMemory | null;
}

function counter(registry: Registry | undefined, name: string, help: string): Counter<'kind'> | null {
  if (!registry) return null;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'kind'>;
  return new Counter({ name, help, labelNames: ['kind'] as const, registers: [registry] });
}

/**
 * The rate limits of one process: a fixed window per key (it starts at the
 * key's first request), one budget per kind. With the PostgreSQL store every
 * instance counts against the same rows, so N gateways hold one limit, not N.
 *
 * When the shared store fails (unreachable, too slow), the request is counted
 * in this process's memory instead, with the same budget: the limit then
 * holds per instance until the store is back. Failing closed would turn a
 * database outage into a refusal of every device; failing open would lift the
 * limits exactly when an attacker has taken the database down. Each failure
 * is counted (m2m_rate_limit_store_failures_total) and logged at most every 30 s.
 */
export class RateLimits {
  private readonly logger = new Logger('rate-limit');
  private readonly limiters: Record<RateLimitKind, KindLimiter | null>;
  private readonly windowSeconds: number;
  private readonly refusals: Counter<'kind'> | null;
  private readonly storeFailures: Counter<'kind'> | null;
  private lastFailureLogAt = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimitsOptions) {
    this.windowSeconds = options.windowSeconds ?? 60;
    const limiter = (kind: RateLimitKind): KindLimiter | null => {
      const points = options.limits[PER_MINUTE[kind]];
      if (points === 0) return null;
      const common = { points, duration: this.windowSeconds, keyPrefix: PREFIX[kind] };
      if (options.store.kind === 'memory') return { points, store: new RateLimiterMemory(common), fallback: null };
      return {
        points,
        store: new RateLimiterPostgres({
          ...common,
          storeClient: options.store.pool,
          storeType: 'pool',
          schemaName: options.store.schema,
          tableName: RATE_LIMITS_TABLE,
          // The migration made it; the store must not try (and must not race its readiness).
          tableCreated: true,
          // A key over its budget is refused from memory until its window ends: a flood costs the database nothing.
          inMemoryBlockOnConsumed: points + 1,
        }),
        fallback: new RateLimiterMemory(common),
      };
    };
    this.limiters = { device: limiter('device'), address: limiter('address'), apiKey: limiter('apiKey') };
    this.refusals = counter(options.registry, 'm2m_rate_limited_total', 'Requests refused by a rate limit, by kind (device|address|apiKey)');
    this.storeFailures = counter(
      options.registry,
      'm2m_rate_limit_store_failures_total',
      'Rate-limit checks the shared store failed, counted in the instance memory instead, by kind',
    );
  }

  /** Whether `kind` is limited at all (its limit is not 0). */
  enabled(kind: RateLimitKind): boolean {
    return this.limiters[kind] !== null;
  }

  /**
   * Counts `requests` requests of `key` (one by default; more to pay ahead for
   * requests that will follow, in one round trip to the store); throws
   * RATE_LIMITED (with when to retry) once the key's budget is spent.
   */
  async consume(kind: RateLimitKind, key: string, requests = 1): Promise<void> {
    await this.take(kind, key, requests);
  }

  /** As consume, and tells what is left of the budget; null when `kind` is not limited. */
  async take(kind: RateLimitKind, key: string, requests = 1): Promise<RateLimitState | null> {
    const limiter = this.limiters[kind];
    if (!limiter) return null;
    const result = await this.count(kind, limiter, key, requests);
    return {
      limit: limiter.points,
      remaining: result.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      windowSeconds: this.windowSeconds,
    };
  }

  private async count(kind: RateLimitKind, limiter: KindLimiter, key: string, requests: number): Promise<RateLimiterRes> {
    try {
      return await limiter.store.consume(key, requests);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.refusal(kind, limiter, error);
      if (!limiter.fallback) throw error;
      this.storeFailed(kind, error);
      try {
        return await limiter.fallback.consume(key, requests);
      } catch (fallbackError) {
        if (fallbackError instanceof RateLimiterRes) throw this.refusal(kind, limiter, fallbackError);
        throw fallbackError;
      }
    }
  }

  private refusal(kind: RateLimitKind, limiter: KindLimiter, result: RateLimiterRes): DomainError {
    this.refusals?.inc({ kind });
    const afterSeconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
    return new DomainError(
      ErrorCode.RateLimited,
      `Too many requests ${WHAT[kind]}: at most ${limiter.points} per ${this.windowSeconds} s; retry in ${afterSeconds} s`,
      [],
      { afterSeconds, limit: limiter.points, remaining: 0, windowSeconds: this.windowSeconds },
    );
  }

  private storeFailed(kind: RateLimitKind, error: unknown): void {
    this.storeFailures?.inc({ kind });
    const now = Date.now();
    if (now - this.lastFailureLogAt < STORE_FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogAt = now;
    // One object: the process logger (pino) reads Nest's second argument as the context, not the message.
    this.logger.warn({
      msg: 'rate-limit store failed; counting in this instance until it answers again (limits hold per instance meanwhile)',
      kind,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}
