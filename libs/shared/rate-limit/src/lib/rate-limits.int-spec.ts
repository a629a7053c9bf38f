import 'reflect-metadata';

import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { loadConfig, Metrics, type PlatformOptions, Secret } from '@m2m-trust/shared-platform';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client, Pool } from 'pg';
import { Registry } from 'prom-client';

import { RateLimitModule } from './rate-limit.module';
import { RateLimits } from './rate-limits';

const ADDRESS_LIMIT = 5;

/** One process's composition as the distributed gateway has it: the limits in PostgreSQL, in `schema`. */
function gatewayLike(schema: string): DynamicModule {
  const config = loadConfig({
    M2M_DATABASE_URL: TEST_DATABASE_URL,
    M2M_DATABASE_SCHEMA: schema,
    M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: String(ADDRESS_LIMIT),
    M2M_RATE_LIMIT_API_KEY_PER_MINUTE: '2',
  });
  const platform: PlatformOptions = { config, metrics: new Metrics(), adminApiKey: { key: new Secret('unused-admin-key-0123456789'), file: null, generated: false } };
  @Module({})
  class Root {}
  return { module: Root, imports: [RateLimitModule.forRoot(platform, { store: { kind: 'postgres', defaultSchema: 'gateway', service: 'test' }, enforce: [] })] };
}

const start = (schema: string): Promise<INestApplicationContext> => NestFactory.createApplicationContext(gatewayLike(schema), { logger: false });

async function outcome(promise: Promise<void>): Promise<'admitted' | 'refused'> {
  try {
    await promise;
    return 'admitted';
  } catch (error) {
    if (error instanceof DomainError && error.code === ErrorCode.RateLimited) return 'refused';
    throw error;
  }
}

describe('RateLimits on PostgreSQL (the distributed store)', () => {
  const schema = uniqueSchema('rate_limit');
  let first: INestApplicationContext;
  let second: INestApplicationContext;

  beforeAll(async () => {
    // Two processes starting together: both migrate the schema, one after the other under its lock.
    [first, second] = await Promise.all([start(schema), start(schema)]);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await dropSchema(schema);
  });

  it('keeps its counters in one unlogged table of the schema', async () => {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const table = await client.query<{ relpersistence: string }>(
        'SELECT c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
        [schema, 'rate_limits'],
      );
      expect(table.rows).toEqual([{ relpersistence: 'u' }]);
    } finally {
      await client.end();
    }
  });

  it('holds one budget across two instances: requests spread over both are refused after the limit', async () => {
    const a = first.get(RateLimits);
    const b = second.get(RateLimits);
    const results: string[] = [];
    for (let i = 0; i < ADDRESS_LIMIT + 3; i++) results.push(await outcome((i % 2 === 0 ? a : b).consume('address', '198.51.100.1')));
    expect(results).toEqual([...Array<string>(ADDRESS_LIMIT).fill('admitted'), 'refused', 'refused', 'refused']);

    // Another address has its own budget, on either instance.
    expect(await outcome(b.consume('address', '198.51.100.2'))).toBe('admitted');
  });

  it('answers a refusal with the shared window: the retry time counts from the first request on any instance', async () => {
    const a = first.get(RateLimits);
    const b = second.get(RateLimits);
    await a.consume('apiKey', 'api-key:ops');
    await a.consume('apiKey', 'api-key:ops');
    const refusal = await b.consume('apiKey', 'api-key:ops').then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).retry).toMatchObject({ limit: 2, remaining: 0, windowSeconds: 60 });
    expect((refusal as DomainError).retry!.afterSeconds).toBeGreaterThan(55);
    expect((refusal as DomainError).retry!.afterSeconds).toBeLessThanOrEqual(60);
  });

  it('counts in the instance when the store cannot be reached: the limit still holds, per instance, and the failure is counted', async () => {
    // Port 1 on loopback: nothing listens, every query fails at once.
    const unreachable = new Pool({ connectionString: 'postgres://m2m:m2m@127.0.0.1:1/m2m', connectionTimeoutMillis: 500 });
    unreachable.on('error', () => undefined);
    const registry = new Registry();
    const rateLimits = new RateLimits({
      limits: { devicePerMinute: 2, addressPerMinute: 0, apiKeyPerMinute: 0 },
      store: { kind: 'postgres', pool: unreachable, schema },
      registry,
    });
    try {
      expect(await outcome(rateLimits.consume('device', 'sensor-1'))).toBe('admitted');
      expect(await outcome(rateLimits.consume('device', 'sensor-1'))).toBe('admitted');
      expect(await outcome(rateLimits.consume('device', 'sensor-1'))).toBe('refused');
      const failures = (await registry.getMetricsAsJSON()).find((metric) => metric.name === 'm2m_rate_limit_store_failures_total');
      expect(failures?.values).toEqual([expect.objectContaining({ labels: { kind: 'device' }, value: 3 })]);
    } finally {
      await unreachable.end();
    }
  });
});
