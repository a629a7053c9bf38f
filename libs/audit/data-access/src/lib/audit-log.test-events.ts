import { type EpcisObjectEvent, type EventQuery, matchesEventFilter, orderDirectionOf } from '@m2m-trust/audit-domain';
import type { DomainEvent, RecordedEvent } from '@m2m-trust/shared-events';

import type { AuditLogRepository } from './audit-log.repository';

/*
 * Test events for both stores' integration suites: a small fleet with
 * scattered, often equal, event times. Not exported from the library.
 */

const REASONS = ['SIGNATURE_INVALID', 'CHALLENGE_EXPIRED', 'CHALLENGE_ALREADY_USED'] as const;

/** Deterministic pseudo-random numbers, so a failure reproduces. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A source of recorded domain events. Event times are scattered (and often
 * equal) so that time order, record order and ties on the order key all
 * differ; record times only move forward, as commits do. `prefix` keeps the
 * source event ids of two sources apart.
 */
export function eventSource(seed: number, prefix = 'source'): () => RecordedEvent {
  const random = prng(seed);
  let n = 0;
  return () => {
    n++;
    const deviceId = `meter-${Math.floor(random() * 12)}`;
    const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 40) * 3_600_000).toISOString();
    const recordedAt = new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();
    const roll = random();
    const event: DomainEvent =
      roll < 0.15
        ? { type: 'DeviceRegistered', data: { deviceId, publicKey: 'ab'.repeat(32), keyThumbprint: `t-${deviceId}`, label: deviceId, metadata: {}, registeredAt: at } }
        : roll < 0.25
          ? { type: 'DeviceRevoked', data: { deviceId, reason: random() < 0.5 ? 'lost' : null, revokedAt: at } }
          : roll < 0.55
            ? {
                type: 'DeviceAuthenticationFailed',
                data: {
                  challengeId: `c-${prefix}-${n}`,
                  deviceId,
                  keyThumbprint: `t-${deviceId}`,
                  method: 'challenge-response',
                  reason: REASONS[Math.floor(random() * REASONS.length)] as (typeof REASONS)[number],
                  failedAt: at,
                },
              }
            : {
                type: 'DeviceAuthenticated',
                data: { challengeId: `c-${prefix}-${n}`, deviceId, keyThumbprint: `t-${deviceId}`, method: 'challenge-response', verifiedAt: at },
              };
    return {
      ...event,
      metadata: { requestId: `req-${prefix}-${n}`, actor: roll < 0.25 ? 'api-key:admin' : `device:${deviceId}` },
      eventId: `${prefix}-${n}`,
      streamId: `device-${deviceId}`,
      streamVersion: n,
      position: n,
      recordedAt,
      schemaVersion: 1,
    } as RecordedEvent;
  };
}

export interface StoredEvent {
  readonly seq: number;
  readonly event: EpcisObjectEvent;
}

/** What a query must answer, computed the obvious way in memory. */
export function expectedResult(all: readonly StoredEvent[], query: EventQuery): EpcisObjectEvent[] {
  const direction = orderDirectionOf(query) === 'ASC' ? 1 : -1;
  const orderBy = query.orderBy;
  // An extension field's absence sorts as the empty string, as the readers do.
  const key = (s: StoredEvent): string =>
    orderBy === undefined ? '' : orderBy === 'eventTime' ? s.event.eventTime : orderBy === 'recordTime' ? s.event.recordTime : (s.event[orderBy] ?? '');
  const sorted = all
    .filter((s) => matchesEventFilter(s.event, query))
    .sort((a, b) => direction * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.seq - b.seq));
  const limit = query.eventCountLimit ?? query.maxEventCount;
  return sorted.slice(0, limit ?? sorted.length).map((s) => s.event);
}

/** Every page of a query, following the cursors the reader hands out. */
export async function allPages(reader: AuditLogRepository, query: EventQuery): Promise<Awaited<ReturnType<AuditLogRepository['query']>>[]> {
  const pages = [];
  let next: EventQuery | null = query;
  while (next) {
    const page = await reader.query(next);
    pages.push(page);
    next = page.nextAfter ? { ...query, after: page.nextAfter } : null;
  }
  return pages;
}
