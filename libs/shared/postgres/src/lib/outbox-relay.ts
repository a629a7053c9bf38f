import type { EventBus } from '@m2m-trust/shared-contracts';
import { EventCatalog, type RecordedEvent } from '@m2m-trust/shared-events';

import { Client } from 'pg';

import { type EventRow, rowToRecordedEvent } from './postgres-event-store';

export interface RelayLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface OutboxRelayOptions {
  /** Same URL and schema as the store's pool. */
  readonly url: string;
  readonly schema: string;
  /** The relay's name: its checkpoint row, and its leadership lock within the schema. */
  readonly name: string;
  /** Where events go: the Kafka bus in distributed mode. */
  readonly bus: Pick<EventBus, 'publish'>;
  readonly logger: RelayLogger;
  readonly batchSize?: number;
  /** How long an idle relay waits before looking again: the floor of a quiet system's propagation delay. */
  readonly pollMs?: number;
}

interface Checkpoint {
  readonly txId: string;
  readonly position: string;
}

const START: Checkpoint = { txId: '0', position: '0' };

/**
 * The transactional outbox's relay. Reads the events table in (writing
 * transaction, position) order, only up to the oldest transaction still open
 * (`pg_snapshot_xmin`), so no commit can later land before the checkpoint;
 * publishes each batch and waits for the broker's acknowledgement; then
 * advances its checkpoint. A crash between publish and checkpoint publishes
 * the batch again: consumers are idempotent. One relay per schema leads (a
 * session advisory lock); other instances stand by and take over when its
 * connection goes.
 */
export class OutboxRelay {
  private client: Client | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private published = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** Events published since start: for tests and metrics. */
  get publishedCount(): number {
    return this.published;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.disconnect();
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopped) {
      try {
        const client = await this.connect();
        if (!(await this.lead(client))) {
          await this.sleep(1_000);
          continue;
        }
        const moved = await this.relayBatch(client);
        backoffMs = 100;
        if (!moved) await this.sleep(this.options.pollMs ?? 20);
      } catch (error) {
        if (this.stopped) break;
        this.options.logger.warn({ err: error, relay: this.options.name, retryInMs: backoffMs }, 'outbox relay failed; retrying');
        await this.disconnect();
        await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  /** Publishes one batch; false when there was nothing to publish. */
  private async relayBatch(client: Client): Promise<boolean> {
    const checkpoint = await this.checkpoint(client);
    const { rows } = await client.query<EventRow>(
      `SELECT * FROM events
       WHERE (tx_id, position) > ($1::xid8, $2::bigint)
         AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY tx_id, position LIMIT $3`,
      [checkpoint.txId, checkpoint.position, this.options.batchSize ?? 500],
    );
    if (rows.length === 0) return false;
    // Events no other service consumes (EventCatalog's `published`) stay in this log; the checkpoint passes them.
    const events: RecordedEvent[] = rows.map(rowToRecordedEvent).filter((event) => EventCatalog[event.type].published);
    if (events.length > 0) await this.options.bus.publish(events);
    const last = rows[rows.length - 1] as EventRow;
    await client.query(
      `INSERT INTO outbox_checkpoints (name, tx_id, position) VALUES ($1, $2::xid8, $3)
       ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position`,
      [this.options.name, last.tx_id, last.position],
    );
    this.published += events.length;
    return true;
  }

  private async checkpoint(client: Client): Promise<Checkpoint> {
    const { rows } = await client.query<{ tx_id: string; position: string }>('SELECT tx_id, position FROM outbox_checkpoints WHERE name = $1', [
      this.options.name,
    ]);
    const row = rows[0];
    return row ? { txId: row.tx_id, position: row.position } : START;
  }

  private leading = false;

  private async lead(client: Client): Promise<boolean> {
    if (this.leading) return true;
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [
      `m2m-trust:outbox-relay:${this.options.schema}:${this.options.name}`,
    ]);
    this.leading = rows[0]?.locked === true;
    if (this.leading) this.options.logger.info({ relay: this.options.name, schema: this.options.schema }, 'outbox relay leading');
    return this.leading;
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.options.url,
      application_name: `outbox-relay:${this.options.name}`,
      options: `-c search_path=${this.options.schema}`,
    });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.client === client) {
        this.client = null;
        this.leading = false;
      }
    });
    await client.connect();
    this.client = client;
    this.leading = false;
    return client;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.leading = false;
    if (client) await client.end().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resume) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resume();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
