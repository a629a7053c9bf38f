import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import {
  AUDITED_EVENT_TYPES,
  type EpcisObjectEvent,
  type EventFilter,
  type EventQuery,
  filterOf,
  matchesEventFilter,
  nextScheduledInstant,
  type QuerySchedule,
  toEpcisEvent,
} from '@m2m-trust/audit-domain';
import { EVENT_BUS, type EventBus } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { RecordedEvent } from '@m2m-trust/shared-events';

import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit, Optional } from '@nestjs/common';

import { queryDocument } from './epcis-http.helpers';
import { laterRecordTime, matchingSince } from './matching-records';

export interface EpcisSubscriptionOptions {
  /** Open subscriptions across all queries; one more is answered 503. */
  readonly maxSubscribers: number;
  /** An SSE comment this often keeps proxies from timing an idle stream out. */
  readonly heartbeatMs: number;
  /** Live events held for a subscriber still replaying, and bytes unsent to a slow one, before it is dropped (it resumes with Last-Event-ID). */
  readonly maxPendingEvents: number;
  readonly maxBufferedBytes: number;
}

export const EPCIS_SUBSCRIPTION_OPTIONS = Symbol.for('m2m-trust.EpcisSubscriptionOptions');

export const DEFAULT_SUBSCRIPTION_OPTIONS: EpcisSubscriptionOptions = {
  maxSubscribers: 64,
  heartbeatMs: 15_000,
  maxPendingEvents: 10_000,
  maxBufferedBytes: 4 * 1024 * 1024,
};

/** Hears of what the hub follows without a stream of its own (the webhook deliverer). */
export interface EpcisRecordWatcher {
  /** An audited event was committed (its record may still be on its way into the log: read it through the settled reader). */
  recorded(event: EpcisObjectEvent): void;
  /** A named query was deleted: its subscriptions end. */
  queryDeleted(queryName: string): void;
}

/** Where a subscription starts: live only, after an event already delivered, or from a record time. */
export type SubscriptionStart = { readonly after: number } | { readonly fromRecordTime: string } | null;

/**
 * How a subscription's stream is written: `sse`, a text/event-stream body;
 * `messages`, one EPCISQueryDocument of JSON a line, each line one WebSocket
 * message (the socket says why it ended in its close frame, not in the stream).
 */
export type SubscriptionFormat = 'sse' | 'messages';

/** A scheduled subscription: at each query time of `schedule`, one report of what matched since the last (from `initialRecordTime`, else from its start). */
export interface SubscriptionPlan {
  readonly schedule: QuerySchedule;
  readonly reportIfEmpty: boolean;
  readonly initialRecordTime?: string;
}

/** Why the hub ended a subscription. */
export interface SubscriptionEnd {
  readonly reason: string;
  readonly detail: string;
}

export interface OpenSubscription {
  readonly id: string;
  /** The body in the format asked for. Ends when the hub closes the subscription; destroy it to unsubscribe. */
  readonly stream: PassThrough;
  /** Once the stream has ended: why, when the hub ended it. */
  ended(): SubscriptionEnd | null;
}

const REPLAY_PAGE = 500;
const SHUTDOWN_GRACE_MS = 2000;

/** One SSE message (the event's ID as the message id, so a reconnecting EventSource resumes after it), or one line of JSON. */
const frame = (format: SubscriptionFormat, event: EpcisObjectEvent, queryName: string, subscriptionId: string): string => {
  const document = JSON.stringify(queryDocument([event], queryName, subscriptionId));
  return format === 'sse' ? `id: ${event.eventID}\ndata: ${document}\n\n` : `${document}\n`;
};

class Subscription {
  readonly id = randomUUID();
  readonly stream = new PassThrough();
  /** Live events that arrived while replaying, by eventID: replay delivers or drops each exactly once. */
  pending: Map<string, EpcisObjectEvent> | null = null;
  closed = false;
  endedBy: SubscriptionEnd | null = null;
  /** A scheduled subscription takes no live events: its timer runs the query at each query time. */
  scheduled = false;
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly queryName: string,
    readonly filter: EventFilter,
    readonly format: SubscriptionFormat,
    private readonly options: EpcisSubscriptionOptions,
    private readonly onClosed: (subscription: Subscription) => void,
  ) {
    // The client went away (or the hub ended it): nothing more is written, the slot is freed.
    this.stream.once('close', () => this.close());
  }

  offer(event: EpcisObjectEvent): void {
    if (this.closed || this.scheduled || !matchesEventFilter(event, this.filter)) return;
    if (this.pending) {
      this.pending.set(event.eventID, event);
      if (this.pending.size > this.options.maxPendingEvents) this.end('backlog', 'too many events arrived while replaying; reconnect with Last-Event-ID');
      return;
    }
    this.send(event);
  }

  /** Writes one event; false once the subscription is over. */
  send(event: EpcisObjectEvent): boolean {
    return this.sendLine(frame(this.format, event, this.queryName, this.id));
  }

  /** Writes one scheduled report: every event of a run in one EPCISQueryDocument, one message. */
  report(events: readonly EpcisObjectEvent[]): boolean {
    return this.sendLine(`${JSON.stringify(queryDocument(events, this.queryName, this.id))}\n`);
  }

  private sendLine(text: string): boolean {
    if (this.closed) return false;
    this.stream.write(text);
    // A reader that does not keep up is dropped rather than buffered without bound.
    if (this.stream.writableLength + this.stream.readableLength > this.options.maxBufferedBytes) {
      this.end('slow-consumer', 'the subscriber reads too slowly; reconnect with Last-Event-ID');
      return false;
    }
    return true;
  }

  /** SSE comments and fields beside the events (a JSON-lines stream has none). */
  write(text: string): void {
    if (!this.closed && this.format === 'sse') this.stream.write(text);
  }

  /** Ends the stream with a last `event: end` saying why; a client may reconnect (or not, if the query is gone). */
  end(reason: string, detail: string): void {
    if (this.closed) return;
    this.endedBy = { reason, detail };
    this.write(`event: end\ndata: ${JSON.stringify({ reason, detail })}\n\n`);
    this.stream.end();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.onClosed(this);
  }
}

/**
 * Streaming subscriptions to named queries. One subscriber on the event bus
 * for the whole hub: each committed audited event is mapped once with
 * toEpcisEvent (deterministic, so it equals the stored record) and offered to
 * every open subscription whose query it matches.
 *
 * The embedded bus publishes synchronously in the tick that commits, so a
 * subscription registered before its replay reads sees every later commit
 * either in a replay page or as a pending live event: replay delivers it and
 * drops the pending copy, and what is left is sent in commit order.
 */
@Injectable()
export class EpcisSubscriptionHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('epcis-subscriptions');
  private readonly subscriptions = new Set<Subscription>();
  private readonly watchers = new Set<EpcisRecordWatcher>();
  private readonly options: EpcisSubscriptionOptions;
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
    @Optional() @Inject(EPCIS_SUBSCRIPTION_OPTIONS) options?: EpcisSubscriptionOptions,
  ) {
    this.options = options ?? DEFAULT_SUBSCRIPTION_OPTIONS;
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(AUDITED_EVENT_TYPES, (event) => this.committed(event));
  }

  /**
   * Ends every stream so the HTTP server can close (an open stream would hold
   * it forever), and waits until they are flushed, or destroys those a client
   * does not read within SHUTDOWN_GRACE_MS.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const streams = [...this.subscriptions].map((subscription) => subscription.stream);
    for (const subscription of [...this.subscriptions]) subscription.end('shutdown', 'the service is stopping; reconnect with Last-Event-ID');
    const flushed = streams.map((stream) => (stream.closed ? Promise.resolve() : new Promise((done) => stream.once('close', done))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(flushed), new Promise((done) => (timer = setTimeout(done, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    for (const stream of streams) if (!stream.closed) stream.destroy();
  }

  get size(): number {
    return this.subscriptions.size;
  }

  /** Opens a subscription on a query's filters (its ordering and counts do not apply to a stream); the caller sends `stream` as the response body, or its lines as WebSocket messages. */
  open(queryName: string, filter: EventFilter, start: SubscriptionStart, format: SubscriptionFormat = 'sse'): OpenSubscription {
    const subscription = this.add(queryName, filter, format);
    // Sent at once so the client sees the headers and knows the subscription is live; `retry` paces reconnects.
    subscription.write(`retry: 2000\n: subscription ${subscription.id} to ${queryName}\n\n`);
    if (start !== null) {
      subscription.pending = new Map();
      void this.replay(subscription, start).catch((error: unknown) => {
        this.logger.error({ err: error, subscriptionId: subscription.id }, 'subscription replay failed');
        subscription.end('error', 'replaying stored events failed; reconnect with Last-Event-ID');
      });
    }
    return { id: subscription.id, stream: subscription.stream, ended: () => subscription.endedBy };
  }

  /**
   * Opens a scheduled subscription, written as JSON lines (one WebSocket
   * message each): at each query time, computed by nextScheduledInstant from
   * the previous run, the matching events recorded since the previous run go
   * out as one EPCISQueryDocument (an empty one only with reportIfEmpty). The
   * state (the last run, the log position reported up to) lives with the
   * subscription: a new one starts again from its own initialRecordTime.
   */
  schedule(queryName: string, filter: EventFilter, plan: SubscriptionPlan): OpenSubscription {
    const subscription = this.add(queryName, filter, 'messages');
    subscription.scheduled = true;
    const openedAt = new Date();
    const geRecordTime = laterRecordTime(subscription.filter, plan.initialRecordTime ?? openedAt.toISOString());
    let checkpoint = 0;
    const run = async (): Promise<void> => {
      const { events, upTo } = await matchingSince(this.log, subscription.filter, geRecordTime, checkpoint, REPLAY_PAGE);
      if (upTo !== null) checkpoint = upTo;
      if ((events.length > 0 || plan.reportIfEmpty) && !subscription.report(events)) return;
      arm(new Date());
    };
    const arm = (lastRun: Date): void => {
      if (subscription.closed) return;
      const due = nextScheduledInstant(plan.schedule, lastRun);
      if (due === null) return subscription.end('schedule-ended', 'the schedule has no further query time');
      // Slices of at most a minute: setTimeout's range is bounded, and a changed clock is noticed.
      const wait = due.getTime() - Date.now();
      if (wait > 60_000) subscription.timer = setTimeout(() => arm(lastRun), 60_000);
      else
        subscription.timer = setTimeout(() => {
          subscription.timer = null;
          void run().catch((error: unknown) => {
            this.logger.error({ err: error, subscriptionId: subscription.id }, 'scheduled subscription run failed');
            subscription.end('error', 'running the scheduled query failed; subscribe again');
          });
        }, Math.max(0, wait));
    };
    arm(openedAt);
    return { id: subscription.id, stream: subscription.stream, ended: () => subscription.endedBy };
  }

  /** Follows new audited events and deleted queries along with the hub's streams: one subscriber on the bus for all of them. */
  watch(watcher: EpcisRecordWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** The binding: deleting a query unsubscribes everyone on it, whether streamed or delivered by webhook. */
  closeQuery(queryName: string): void {
    for (const watcher of this.watchers) watcher.queryDeleted(queryName);
    for (const subscription of [...this.subscriptions]) {
      if (subscription.queryName === queryName) subscription.end('query-deleted', `the query ${queryName} was deleted`);
    }
  }

  private committed(recorded: RecordedEvent): void {
    // Nothing to map on the commit path while nobody listens.
    if (this.subscriptions.size === 0 && this.watchers.size === 0) return;
    const event = toEpcisEvent(recorded);
    if (!event) return;
    for (const watcher of this.watchers) watcher.recorded(event);
    for (const subscription of this.subscriptions) subscription.offer(event);
  }

  /** Stored matching events first (paged, with backpressure), then the live ones that arrived meanwhile. */
  private async replay(subscription: Subscription, start: Exclude<SubscriptionStart, null>): Promise<void> {
    const filter = subscription.filter;
    let query: EventQuery =
      'after' in start
        ? { ...filter, perPage: REPLAY_PAGE, after: { seq: start.after } }
        : { ...filter, perPage: REPLAY_PAGE, geRecordTime: laterRecordTime(filter, start.fromRecordTime) };
    for (;;) {
      if (subscription.closed) return;
      const page = await this.log.query(query);
      for (const event of page.events) {
        subscription.pending?.delete(event.eventID);
        if (!subscription.send(event)) return;
      }
      if (page.nextAfter === null) break;
      query = { ...query, after: page.nextAfter };
      if (subscription.stream.writableNeedDrain) await new Promise((drained) => subscription.stream.once('drain', drained));
    }
    // The last page read and this run in one tick: no commit falls between them.
    const pending = subscription.pending;
    subscription.pending = null;
    for (const event of pending?.values() ?? []) if (!subscription.send(event)) return;
  }

  /** Takes a slot for a new subscription (503 when none is left). */
  private add(queryName: string, filter: EventFilter, format: SubscriptionFormat): Subscription {
    if (this.subscriptions.size >= this.options.maxSubscribers) {
      throw new DomainError(ErrorCode.SubscriptionLimitReached, `All ${this.options.maxSubscribers} subscription slots are taken; retry later`);
    }
    const subscription = new Subscription(queryName, filterOf(filter), format, this.options, (s) => this.closed(s));
    this.subscriptions.add(subscription);
    this.startHeartbeat();
    return subscription;
  }

  private closed(subscription: Subscription): void {
    this.subscriptions.delete(subscription);
    if (this.subscriptions.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const subscription of this.subscriptions) subscription.write(`: heartbeat ${new Date().toISOString()}\n\n`);
    }, this.options.heartbeatMs);
    // Heartbeats alone never keep the process alive.
    this.heartbeat.unref();
  }
}
