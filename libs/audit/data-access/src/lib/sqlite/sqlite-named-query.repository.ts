import type { NamedQuery } from '@m2m-trust/audit-domain';

import type Database from 'better-sqlite3';

import type { NamedQueryPage, NamedQueryRepository } from '../named-query.repository';

interface Row {
  readonly name: string;
  readonly query: string;
  readonly created_at: string;
}

const toNamedQuery = (row: Row): NamedQuery => ({ name: row.name, query: JSON.parse(row.query) as Record<string, unknown>, createdAt: row.created_at });

/** Named EPCIS queries in the embedded database. */
export class SqliteNamedQueryRepository implements NamedQueryRepository {
  private readonly insert;
  private readonly byName;
  private readonly page;
  private readonly remove;

  constructor(db: Database.Database) {
    // The primary key decides a race between two creates of one name: exactly one inserts.
    this.insert = db.prepare<[string, string, string]>('INSERT INTO epcis_named_queries (name, query, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING');
    this.byName = db.prepare<[string], Row>('SELECT name, query, created_at FROM epcis_named_queries WHERE name = ?');
    this.page = db.prepare<[string, number], Row>('SELECT name, query, created_at FROM epcis_named_queries WHERE name > ? ORDER BY name LIMIT ?');
    this.remove = db.prepare<[string]>('DELETE FROM epcis_named_queries WHERE name = ?');
  }

  async create(query: NamedQuery): Promise<boolean> {
    return this.insert.run(query.name, JSON.stringify(query.query), query.createdAt).changes === 1;
  }

  async find(name: string): Promise<NamedQuery | null> {
    const row = this.byName.get(name);
    return row ? toNamedQuery(row) : null;
  }

  async list(after: string | null, limit: number): Promise<NamedQueryPage> {
    const rows = this.page.all(after ?? '', limit + 1);
    const items = rows.slice(0, limit).map(toNamedQuery);
    return { items, nextAfter: rows.length > limit ? (items[items.length - 1]?.name ?? null) : null };
  }

  async delete(name: string): Promise<boolean> {
    return this.remove.run(name).changes === 1;
  }
}
