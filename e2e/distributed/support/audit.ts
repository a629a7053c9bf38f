import { sleep } from './cluster';

export interface EpcisEvent {
  readonly type: string;
  readonly eventID: string;
  readonly epcList: readonly string[];
  readonly action: string;
  readonly bizStep: string;
  readonly disposition: string;
  readonly [extension: string]: unknown;
}

interface QueryDocument {
  readonly epcisBody: { readonly queryResults: { readonly resultsBody: { readonly eventList: EpcisEvent[] } } };
}

export interface ChainReport {
  readonly ok: boolean;
  readonly verifiedRecords?: number;
  readonly [field: string]: unknown;
}

export const deviceEpc = (deviceId: string): string => `urn:m2m-trust:device:${deviceId}`;
export const deviceOf = (event: EpcisEvent): string => String(event.epcList[0]).replace('urn:m2m-trust:device:', '');

/** "bizStep/disposition", the pair that tells a registration, a success, a failure and a revocation apart. */
export const kindOf = (event: EpcisEvent): string => `${event.bizStep}/${event.disposition}`;
export const REGISTERED = 'commissioning/active';
export const AUTHENTICATED = 'inspecting/conformant';
export const FAILED = 'inspecting/non_conformant';
export const REVOKED = 'decommissioning/inactive';

/**
 * Every event of GET /epcis/events for the query (EPCIS REST binding, key in
 * x-api-key), following Link rel="next" page after page. `baseUrl` is a
 * gateway (which passes /epcis through) or the audit service itself.
 */
export async function queryEvents(baseUrl: string, apiKey: string, query: Record<string, string> = {}): Promise<EpcisEvent[]> {
  const events: EpcisEvent[] = [];
  let next: URL | null = new URL(`/epcis/events?${new URLSearchParams({ perPage: '1000', ...query })}`, baseUrl);
  for (let pages = 0; next !== null; pages++) {
    if (pages > 1000) throw new Error(`more than 1000 pages from ${baseUrl}; a paging loop?`);
    const response: Response = await fetch(next, { headers: { 'x-api-key': apiKey, accept: 'application/ld+json' } });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${next.pathname}${next.search} answered ${response.status}: ${text.slice(0, 500)}`);
    events.push(...(JSON.parse(text) as QueryDocument).epcisBody.queryResults.resultsBody.eventList);
    const link = response.headers.get('link');
    const target = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
    next = target ? new URL(target, next) : null;
  }
  return events;
}

export async function verifyChain(baseUrl: string, apiKey: string): Promise<{ status: number; body: ChainReport }> {
  const response = await fetch(new URL('/epcis/chain/verify', baseUrl), { headers: { 'x-api-key': apiKey } });
  return { status: response.status, body: (await response.json()) as ChainReport };
}

/**
 * Reads until `enough` holds, then keeps reading until the answer stops
 * changing for `quietMs` (so late duplicates would still show), or the
 * deadline passes. Returns the last answer either way: the caller's
 * expectations then say what is missing or doubled. The deadline is
 * generous (a restarted consumer may first wait out a 30 s session, and a
 * slow machine takes longer still); within the test's own timeout.
 */
export async function settle<T>(
  read: () => Promise<T>,
  enough: (value: T) => boolean,
  { timeoutMs = 120_000, quietMs = 2_000, intervalMs = 250, size }: { timeoutMs?: number; quietMs?: number; intervalMs?: number; size: (value: T) => number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // Reads may fail while a service restarts; keep trying until the deadline, then let the failure show.
  const attempt = async (): Promise<{ value: T } | null> => read().then((value) => ({ value }), () => null);
  let last = await attempt();
  while (last === null || !enough(last.value)) {
    if (Date.now() > deadline) return last === null ? read() : last.value;
    await sleep(intervalMs);
    last = (await attempt()) ?? last;
  }
  let value = last.value;
  // Bounded: a log that never stops changing is returned as it is at the deadline.
  for (let stableSince = Date.now(); Date.now() - stableSince < quietMs && Date.now() < deadline + quietMs; ) {
    await sleep(intervalMs);
    const again = await read();
    if (size(again) !== size(value)) stableSince = Date.now();
    value = again;
  }
  return value;
}

/** How many events of each kind each device has: { deviceId: { kind: count } }. */
export function tally(events: readonly EpcisEvent[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const event of events) {
    const perDevice = (counts[deviceOf(event)] ??= {});
    perDevice[kindOf(event)] = (perDevice[kindOf(event)] ?? 0) + 1;
  }
  return counts;
}

/** Event IDs that occur more than once, and source event ids recorded more than once. */
export function duplicates(events: readonly EpcisEvent[]): { eventIds: string[]; sourceEventIds: string[] } {
  const twice = (values: readonly string[]): string[] => {
    const seen = new Set<string>();
    return [...new Set(values.filter((value) => seen.has(value) || !seen.add(value)))];
  };
  return {
    eventIds: twice(events.map((event) => event.eventID)),
    sourceEventIds: twice(events.map((event) => String(event['m2m:sourceEventId']))),
  };
}

/** Where two tallies differ: device → kind → { recorded, expected }; empty when they agree. */
export function tallyDiff(
  recorded: Record<string, Record<string, number>>,
  expected: Record<string, Record<string, number>>,
): Record<string, Record<string, { recorded: number; expected: number }>> {
  const diff: Record<string, Record<string, { recorded: number; expected: number }>> = {};
  for (const device of new Set([...Object.keys(recorded), ...Object.keys(expected)])) {
    const kinds = new Set([...Object.keys(recorded[device] ?? {}), ...Object.keys(expected[device] ?? {})]);
    for (const kind of kinds) {
      const counts = { recorded: recorded[device]?.[kind] ?? 0, expected: expected[device]?.[kind] ?? 0 };
      if (counts.recorded !== counts.expected) (diff[device] ??= {})[kind] = counts;
    }
  }
  return diff;
}
