import { NAMED_QUERY_REPOSITORY, type NamedQueryPage, type NamedQueryRepository } from '@m2m-trust/audit-data-access';
import { type EventCriteria, type NamedQuery, parseQueryDefinition, parseQueryObject, QUERY_NAME } from '@m2m-trust/audit-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Inject, Injectable } from '@nestjs/common';

import { EpcisSubscriptionHub } from './epcis-subscription.hub';

/** Named EPCIS queries: create, read, list, delete, and what a stored one means as criteria. */
@Injectable()
export class NamedQueryService {
  constructor(
    @Inject(NAMED_QUERY_REPOSITORY) private readonly queries: NamedQueryRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly subscriptions: EpcisSubscriptionHub,
  ) {}

  async create(body: unknown): Promise<NamedQuery> {
    const { name, query } = parseQueryDefinition(body);
    const created: NamedQuery = { name, query, createdAt: this.clock.now().toISOString() };
    if (!(await this.queries.create(created))) throw new DomainError(ErrorCode.QueryExists, `A query named ${name} exists; delete it first`);
    return created;
  }

  async get(name: string): Promise<{ readonly query: NamedQuery; readonly criteria: EventCriteria }> {
    // A name no query could have is simply not found.
    const query = QUERY_NAME.test(name) ? await this.queries.find(name) : null;
    if (!query) throw new DomainError(ErrorCode.QueryNotFound, `No query is named ${name}`);
    return { query, criteria: parseQueryObject(query.query) };
  }

  list(after: string | null, limit: number): Promise<NamedQueryPage> {
    return this.queries.list(after, limit);
  }

  async delete(name: string): Promise<void> {
    if (!QUERY_NAME.test(name) || !(await this.queries.delete(name))) throw new DomainError(ErrorCode.QueryNotFound, `No query is named ${name}`);
    this.subscriptions.closeQuery(name);
  }
}
