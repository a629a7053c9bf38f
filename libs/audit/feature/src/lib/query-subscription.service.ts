import {
  AUDIT_CHAIN_STORE,
  AUDIT_LOG_REPOSITORY,
  type AuditChainStore,
  type AuditLogRepository,
  QUERY_SUBSCRIPTION_REPOSITORY,
  type QuerySubscriptionPage,
  type QuerySubscriptionRepository,
} from '@m2m-trust/audit-data-access';
import { nextScheduledInstant, parseQuerySchedule, parseSubscriptionRequest, type QuerySubscription, SUBSCRIPTION_ID, subscriptionError } from '@m2m-trust/audit-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';

import { NamedQueryService } from './named-query.service';
import { WEBHOOK_OPTIONS, WebhookDeliverer, type WebhookOptions } from './webhook-deliverer';

const notFound = (queryName: string, subscriptionID: string): DomainError =>
  new DomainError(ErrorCode.SubscriptionNotFound, `The query ${queryName} has no subscription ${subscriptionID}`);

/** Webhook subscriptions to named queries: create, read, list, delete; the deliverer starts and stops with them. */
@Injectable()
export class QuerySubscriptionService {
  constructor(
    @Inject(QUERY_SUBSCRIPTION_REPOSITORY) private readonly subscriptions: QuerySubscriptionRepository,
    @Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository,
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions,
    private readonly queries: NamedQueryService,
    private readonly deliverer: WebhookDeliverer,
  ) {}

  async create(queryName: string, body: unknown): Promise<QuerySubscription> {
    const { criteria } = await this.queries.get(queryName);
    const request = parseSubscriptionRequest(body, this.options);
    const now = this.clock.now();
    const createdAt = now.toISOString();
    if (request.schedule !== null && nextScheduledInstant(parseQuerySchedule(request.schedule).schedule, now) === null) {
      throw subscriptionError('schedule', 'matches no date: the query would never run');
    }
    // The binding: without initialRecordTime, a subscription starts with what is recorded from now on.
    const initialRecordTime = request.initialRecordTime ?? createdAt;
    const subscription: QuerySubscription = {
      subscriptionID: randomUUID(),
      queryName,
      dest: request.dest,
      signatureToken: request.signatureToken,
      initialRecordTime,
      createdAt,
      lastNotifiedAt: null,
      checkpoint: await this.startingPoint(initialRecordTime),
      schedule: request.schedule,
      reportIfEmpty: request.reportIfEmpty,
      lastRunAt: null,
    };
    if (!(await this.subscriptions.create(subscription))) throw new DomainError(ErrorCode.QueryNotFound, `No query is named ${queryName}`);
    this.deliverer.start(subscription, criteria);
    return subscription;
  }

  async get(queryName: string, subscriptionID: string): Promise<QuerySubscription> {
    const found = SUBSCRIPTION_ID.test(subscriptionID) ? await this.subscriptions.find(subscriptionID) : null;
    if (found === null || found.queryName !== queryName) throw notFound(queryName, subscriptionID);
    return found;
  }

  /** A subscription by its id alone (`/epcis/subscriptions/{id}`): the id is a UUID, unique across queries. */
  async byId(subscriptionID: string): Promise<QuerySubscription> {
    const found = SUBSCRIPTION_ID.test(subscriptionID) ? await this.subscriptions.find(subscriptionID) : null;
    if (found === null) throw new DomainError(ErrorCode.SubscriptionNotFound, `No subscription ${subscriptionID}`);
    return found;
  }

  async list(queryName: string, after: string | null, limit: number): Promise<QuerySubscriptionPage> {
    await this.queries.get(queryName);
    return this.subscriptions.list(queryName, after, limit);
  }

  async delete(queryName: string, subscriptionID: string): Promise<void> {
    if (!SUBSCRIPTION_ID.test(subscriptionID) || !(await this.subscriptions.delete(queryName, subscriptionID))) throw notFound(queryName, subscriptionID);
    this.deliverer.stop(subscriptionID);
  }

  /**
   * The record after which delivery starts: just before the first record at
   * or after initialRecordTime, or the head when there is none yet (read
   * first, so a record written meanwhile is after it). Deliveries still filter
   * on initialRecordTime; this only spares every read a walk from the start.
   */
  private async startingPoint(initialRecordTime: string): Promise<number> {
    const head = await this.chain.head();
    const first = (await this.log.query({ geRecordTime: initialRecordTime, perPage: 1 })).events[0];
    const position = first === undefined ? null : await this.log.positionOf(first.eventID);
    return position === null ? (head?.seq ?? 0) : position - 1;
  }
}
