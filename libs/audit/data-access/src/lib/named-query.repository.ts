import type { NamedQuery } from '@m2m-trust/audit-domain';

export interface NamedQueryPage {
  readonly items: readonly NamedQuery[];
  /** The last name of the page when more may follow. */
  readonly nextAfter: string | null;
}

export interface NamedQueryRepository {
  /** False when a query of that name exists (nothing is changed). */
  create(query: NamedQuery): Promise<boolean>;
  find(name: string): Promise<NamedQuery | null>;
  /** In name order, after `after` (exclusive). */
  list(after: string | null, limit: number): Promise<NamedQueryPage>;
  /** False when there was no such query. */
  delete(name: string): Promise<boolean>;
}

export const NAMED_QUERY_REPOSITORY = Symbol.for('m2m-trust.NamedQueryRepository');
