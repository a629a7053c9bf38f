import type { NamedQuery } from '@m2m-trust/audit-domain';
import type { PgExecutor } from '@m2m-trust/shared-postgres';

import type { NamedQueryPage, NamedQueryRepository } from '../named-query.repository';

interface Row {
  readonly name: string;
  /** The `json` column, parsed by the driver. */
  readonly query: Record<string, unknown>;
  readonly created_at: string;
}

const toNamedQuery = (row: Row): NamedQuery => ({ name: row.name, query: row.query, createdAt: row.created_at });

/** Named EPCIS queries in the audit service's schema. */
export class PostgresNamedQueryRepository implements NamedQueryRepository {
  constructor(private readonly db: PgExecutor) {}

  async create(query: NamedQuery): Promise<boolean> {
    // The primary key decides a race between two creates of one name: exactly one inserts.
    const { rowCount } = await this.db.query('INSERT INTO epcis_named_queries (name, query, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      query.name,
      JSON.stringify(query.query),
      query.createdAt,
    ]);
    return rowCount === 1;
  }

  async find(name: string): Promise<NamedQuery | null> {
    const { rows } = await this.db.query<Row>('SELECT name, query, created_at FROM epcis_named_queries WHERE name = $1', [name]);
    return rows[0] ? toNamedQuery(rows[0]) : null;
  }

  async list(after: string | null, limit: number): Promise<NamedQueryPage> {
    const { rows } = await this.db.query<Row>('SELECT name, query, created_at FROM epcis_named_queries WHERE name > $1 ORDER BY name LIMIT $2', [after ?? '', limit + 1]);
    const items = rows.slice(0, limit).map(toNamedQuery);
    return { items, nextAfter: rows.length > limit ? (items[items.length - 1]?.name ?? null) : null };
  }

  async delete(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM epcis_named_queries WHERE name = $1', [name]);
    return rowCount === 1;
  }
}
