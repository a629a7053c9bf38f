import type { RetryOptions } from 'kafkajs';

/**
 * kafkajs' production defaults, spelled out: under NODE_ENV=test (Jest) it
 * silently switches to others, and the tests should exercise what runs.
 */
export const KAFKA_CLIENT_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 30_000, multiplier: 2, factor: 0.2, retries: 5 };
