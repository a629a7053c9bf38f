import {
  AUDIT_LOG_REPOSITORY,
  type AuditLogRepository,
  NAMED_QUERY_REPOSITORY,
  type NamedQueryRepository,
  QUERY_SUBSCRIPTION_REPOSITORY,
  type QuerySubscriptionRepository,
} from '@m2m-trust/audit-data-access';
import {
  CBV_VERSION,
  checkDestination,
  type DestinationPolicy,
  EPCIS_VERSION,
  type EpcisObjectEvent,
  type EventFilter,
  filterOf,
  matchesEventFilter,
  nextScheduledInstant,
  parseQueryObject,
  parseQuerySchedule,
  type QuerySubscription,
} from '@m2m-trust/audit-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';

import { createHmac } from 'node:crypto';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { queryDocument } from './epcis-http.helpers';
import { EpcisSubscriptionHub } from './epcis-subscription.hub';
import { laterRecordTime, matchingSince } from './matching-records';

export interface WebhookOptions extends DestinationPolicy {
  /** The first pause after a failed attempt, and the longest (doubling in between, with jitter). */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Events per POST at most (a receiver's 413 halves it for that subscription). */
  readonly batchSize: number;
  /** An attempt that takes longer has failed. */
  readonly timeoutMs: number;
  /** How often an idle subscription looks for records the bus did not announce (another instance wrote them). */
  readonly pollMs: number;
}

export const WEBHOOK_OPTIONS = Symbol.for('m2m-trust.WebhookOptions');

/**
 * The `GS1-Signature` of a delivery: HMAC-SHA-256 keyed with the
 * subscription's signature token (UTF-8) over the exact bytes of the body,
 * in base64. The binding leaves the scheme to the implementation and names
 * HMAC with SHA-256 as its example.
 */
export const webhookSignature = (body: string, signatureToken: string): string => createHmac('sha256', signatureToken).update(body, 'utf8').digest('base64');

/** Exponential backoff with jitter: about `min · 2^attempt`, capped at `max`, drawn from its upper half so retries of many subscriptions spread out. */
export function retryDelay(attempt: number, minMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

type Outcome = 'acknowledged' | 'too-large' | 'stopped';

/** The deliveries of one subscription, one batch at a time, in record order. */
class SubscriptionWorker {
  private stopped = false;
  private dirty = true;
  private batchSize: number;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(
    private readonly subscription: QuerySubscription,
    private readonly filter: EventFilter,
    private readonly deps: {
      readonly log: AuditLogRepository;
      readonly store: QuerySubscriptionRepository;
      readonly clock: Clock;
      readonly options: WebhookOptions;
      readonly logger: Logger;
    },
  ) {
    this.batchSize = deps.options.batchSize;
    this.done = this.run().catch((error: unknown) => deps.logger.error({ err: error, subscriptionId: subscription.subscriptionID }, 'webhook delivery stopped'));
  }

  get queryName(): string {
    return this.subscription.queryName;
  }

  /** A new record may match: a stream looks at once (a schedule waits for its query time). */
  offer(event: EpcisObjectEvent): void {
    if (this.subscription.schedule === null && matchesEventFilter(event, this.filter)) this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake();
  }

  private wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  /** Sleeps until woken, stopped, or `ms` have passed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        finish();
      };
    });
  }

  private async run(): Promise<void> {
    if (this.subscription.schedule !== null) return this.runSchedule(this.subscription.schedule);
    let failures = 0;
    while (!this.stopped) {
      if (!this.dirty) await this.pause(this.deps.options.pollMs);
      if (this.stopped) return;
      this.dirty = false;
      try {
        await this.drain();
        failures = 0;
      } catch (error) {
        // The log or the store did not answer (a restart, a settle timeout): try again later, from the stored checkpoint.
        this.deps.logger.warn({ err: error, subscriptionId: this.subscription.subscriptionID }, 'webhook delivery failed to read; retrying');
        await this.sleep(retryDelay(failures++, this.deps.options.retryMinMs, this.deps.options.retryMaxMs));
        this.dirty = true;
      }
    }
  }

  /**
   * A scheduled subscription: at each query time, the query runs over every
   * matching record after the stored checkpoint (what earlier runs reported)
   * and the result goes out as one EPCISQueryDocument; an empty one only with
   * reportIfEmpty. The run and its checkpoint are stored once the receiver
   * acknowledged, so a restart repeats no acknowledged report and loses no
   * event; query times missed while the service was down make one run.
   */
  private async runSchedule(spec: NonNullable<QuerySubscription['schedule']>): Promise<void> {
    const { schedule } = parseQuerySchedule(spec);
    let failures = 0;
    while (!this.stopped) {
      try {
        const current = await this.deps.store.find(this.subscription.subscriptionID);
        if (current === null) return this.stop();
        const due = nextScheduledInstant(schedule, new Date(current.lastRunAt ?? current.createdAt));
        if (due === null) return this.stop();
        const wait = due.getTime() - this.deps.clock.now().getTime();
        // Sleeps in slices: a long wait still notices being stopped promptly (sleep returns on stop) and a changed clock.
        if (wait > 0) {
          await this.sleep(Math.min(wait, 60_000));
          continue;
        }
        const ranAt = this.deps.clock.now().toISOString();
        const { events, upTo } = await this.collect(current.checkpoint);
        let notifiedAt: string | null = null;
        if (events.length > 0 || this.subscription.reportIfEmpty) {
          if ((await this.deliver(events, false)) === 'stopped') return;
          notifiedAt = this.deps.clock.now().toISOString();
        }
        if (!(await this.deps.store.ran(this.subscription.subscriptionID, upTo ?? current.checkpoint, ranAt, notifiedAt))) return this.stop();
        failures = 0;
      } catch (error) {
        this.deps.logger.warn({ err: error, subscriptionId: this.subscription.subscriptionID }, 'scheduled webhook run failed to read; retrying');
        await this.sleep(retryDelay(failures++, this.deps.options.retryMinMs, this.deps.options.retryMaxMs));
      }
    }
  }

  /** Every matching record after `checkpoint`, and the position of the last one. */
  private collect(checkpoint: number): Promise<{ events: EpcisObjectEvent[]; upTo: number | null }> {
    return matchingSince(this.deps.log, this.filter, this.startTime(), checkpoint, this.batchSize);
  }

  /** Events recorded at or after both the subscription's initialRecordTime and the query's own GE_recordTime. */
  private startTime(): string {
    return laterRecordTime(this.filter, this.subscription.initialRecordTime);
  }

  /** Delivers everything matching after the stored checkpoint; each batch is acknowledged in the store before the next is read. */
  private async drain(): Promise<void> {
    // The stored checkpoint, not a remembered one: after a restart, or another instance's delivery, nothing acknowledged is sent again.
    const current = await this.deps.store.find(this.subscription.subscriptionID);
    if (current === null) return this.stop();
    let checkpoint = current.checkpoint;
    const geRecordTime = this.startTime();
    while (!this.stopped) {
      const page = await this.deps.log.query({ ...this.filter, geRecordTime, perPage: this.batchSize, after: { seq: checkpoint } });
      const last = page.events[page.events.length - 1];
      if (last === undefined) return;
      const upTo = page.nextAfter?.seq ?? (await this.deps.log.positionOf(last.eventID));
      if (upTo === null) throw new Error(`event ${last.eventID} has no position in the log`);
      const outcome = await this.deliver(page.events, true);
      if (outcome === 'stopped') return;
      if (outcome === 'too-large') {
        this.batchSize = Math.max(1, Math.floor(page.events.length / 2));
        continue;
      }
      if (!(await this.deps.store.acknowledge(this.subscription.subscriptionID, upTo, this.deps.clock.now().toISOString()))) return this.stop();
      checkpoint = upTo;
      if (page.nextAfter === null) return;
    }
  }

  /** POSTs one batch until the receiver answers 2xx (or 413 when it may be split, or the subscription ends): at least once. */
  private async deliver(events: readonly EpcisObjectEvent[], splittable: boolean): Promise<Outcome> {
    const { subscriptionID, queryName, dest, signatureToken } = this.subscription;
    const body = JSON.stringify(queryDocument(events, queryName, subscriptionID));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'GS1-EPCIS-Version': EPCIS_VERSION,
      'GS1-CBV-Version': CBV_VERSION,
    };
    if (signatureToken !== null) headers['GS1-Signature'] = webhookSignature(body, signatureToken);
    // Logs name the receiver by its origin only: a path or query string may carry the receiver's own secrets.
    const destination = new URL(dest).origin;
    for (let attempt = 0; !this.stopped; attempt++) {
      let failure: string;
      try {
        // Checked on every attempt: an operator may have narrowed M2M_EPCIS_WEBHOOK_HOSTS since the subscription was made.
        checkDestination(dest, this.deps.options);
        const response = await fetch(dest, {
          method: 'POST',
          body,
          headers,
          // A redirect could point anywhere, past the host check: it is a failed attempt, not followed.
          redirect: 'manual',
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.deps.options.timeoutMs)]),
        });
        await response.body?.cancel();
        if (response.status >= 200 && response.status < 300) return 'acknowledged';
        if (response.status === 413 && splittable && events.length > 1) return 'too-large';
        failure = `HTTP ${response.status}`;
      } catch (error) {
        if (this.stopped) return 'stopped';
        failure = error instanceof Error ? error.message : String(error);
      }
      const delay = retryDelay(attempt, this.deps.options.retryMinMs, this.deps.options.retryMaxMs);
      this.deps.logger.warn({ subscriptionId: subscriptionID, destination, failure, attempt: attempt + 1, retryInMs: delay }, 'webhook delivery failed; retrying');
      await this.sleep(delay);
    }
    return 'stopped';
  }

  /** A pause that only stopping cuts short (a new record does not hurry a retry). */
  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Delivers webhook subscriptions: each new audit record is offered to every
 * subscription whose query it matches (the hub's one follower of the bus
 * wakes them), and each subscription reads what its receiver has not yet
 * acknowledged from the log, from its stored checkpoint. So a restart resumes
 * where the receiver last answered 2xx: every matching event is delivered at
 * least once, and none again once acknowledged.
 */
@Injectable()
export class WebhookDeliverer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('epcis-webhooks');
  private readonly workers = new Map<string, SubscriptionWorker>();
  private unwatch: (() => void) | null = null;

  constructor(
    @Inject(QUERY_SUBSCRIPTION_REPOSITORY) private readonly store: QuerySubscriptionRepository,
    @Inject(NAMED_QUERY_REPOSITORY) private readonly queries: NamedQueryRepository,
    @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions,
    private readonly hub: EpcisSubscriptionHub,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unwatch = this.hub.watch({
      recorded: (event) => {
        for (const worker of this.workers.values()) worker.offer(event);
      },
      queryDeleted: (queryName) => {
        for (const [id, worker] of this.workers) if (worker.queryName === queryName) this.stop(id);
      },
    });
    for (const subscription of await this.store.all()) {
      // A subscription goes with its query, so the query is there; its filter is what the query says.
      const query = await this.queries.find(subscription.queryName);
      if (query) this.start(subscription, parseQueryObject(query.query));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unwatch?.();
    const workers = [...this.workers.values()];
    this.workers.clear();
    for (const worker of workers) worker.stop();
    await Promise.all(workers.map((worker) => worker.done));
  }

  /** Starts delivering a subscription on its query's filter. */
  start(subscription: QuerySubscription, filter: EventFilter): void {
    if (this.workers.has(subscription.subscriptionID)) return;
    const deps = { log: this.log, store: this.store, clock: this.clock, options: this.options, logger: this.logger };
    this.workers.set(subscription.subscriptionID, new SubscriptionWorker(subscription, filterOf(filter), deps));
  }

  /** Stops at once, an attempt in flight included. */
  stop(subscriptionID: string): void {
    this.workers.get(subscriptionID)?.stop();
    this.workers.delete(subscriptionID);
  }
}
