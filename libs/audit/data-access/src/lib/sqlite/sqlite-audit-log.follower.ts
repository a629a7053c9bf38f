import { type ChainTail, EMPTY_CHAIN_TAIL, type EpcisObjectEvent, toEpcisEvent, TreeFrontier } from '@m2m-trust/audit-domain';
import type { SqliteStoreFollower } from '@m2m-trust/shared-data-access/sqlite';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { RecordedEvent } from '@m2m-trust/shared-events';

import type Database from 'better-sqlite3';

import { foldRecords } from '../audit-tree-rows';
import { restoreSqliteFrontier } from './sqlite-audit-tree.backfill';
import type { AuditWriterEvents, SqliteAuditWriterThread } from './sqlite-audit-writer.thread';

/** What the follower reads of the event store: its head, and its events in order. */
export interface FollowedEventStore {
  headPosition(): number;
  readAll(afterPosition: number, limit: number): RecordedEvent[];
}

export interface AuditFollowerOptions {
  /** Store positions handed to the writer and not yet written before the follower stops handing over and catches up from the store instead. */
  readonly maxLag: number;
  /** Events read from the store at a time while catching up. */
  readonly catchUpChunk: number;
  /** How long a reader waits for the log to reach the store's head before it is answered 503. */
  readonly settleTimeoutMs: number;
  /** First and longest pause before a failed writer is tried again (doubling in between). */
  readonly retryMs: readonly [number, number];
}

const DEFAULT_OPTIONS: AuditFollowerOptions = { maxLag: 50_000, catchUpChunk: 2_000, settleTimeoutMs: 10_000, retryMs: [50, 5_000] };

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
}

/** What the follower reports: failed writes (error) and a writer too far behind (warn). */
export interface AuditFollowerLogger {
  error(context: object, message: string): void;
  warn(context: object, message: string): void;
}

/**
 * The embedded audit log, written behind the event store: each committed
 * batch is mapped to EPCIS records and chained here on the main thread, in
 * store order, and written by {@link SqliteAuditWriterThread} into the audit
 * file in large transactions on the other core.
 *
 * Exactly once, without losing anything: the file stores the store position
 * its records reach in the same transaction as the records, and the store is
 * durable first. So after a crash, a failed write or a writer that fell too far
 * behind, the follower rebuilds its state from the file and reads the missing
 * events from the store (a new *generation*: the writer drops what is left of
 * the old one). Readers that must see every write answered before them call
 * {@link settled}: it waits until the file has reached the store's head as it
 * was when they asked.
 */
export class SqliteAuditLogFollower implements SqliteStoreFollower, AuditWriterEvents {
  private readonly options: AuditFollowerOptions;
  private store: FollowedEventStore | null = null;
  private mode: 'stopped' | 'catching-up' | 'live' | 'waiting' = 'stopped';
  private generation = 0;
  private tail: ChainTail = EMPTY_CHAIN_TAIL;
  private frontier = new TreeFrontier();
  /** Store position up to which events have been handed to the writer, and up to which the file holds them. */
  private sent = 0;
  private written = 0;
  /** Readers waiting in {@link settled}, and the catch-up loop waiting for the writer. */
  private waiters: Waiter[] = [];
  private catchUpWaiters: Waiter[] = [];
  private closed = false;
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly state;

  constructor(
    private readonly auditDb: Database.Database,
    private readonly writer: SqliteAuditWriterThread,
    private readonly logger: AuditFollowerLogger,
    options: Partial<AuditFollowerOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.retryMs = this.options.retryMs[0];
    this.state = {
      position: auditDb.prepare<[], { position: number }>('SELECT position FROM audit_source WHERE id = 1'),
      head: auditDb.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
    };
  }

  /** Resumes from what the audit file holds and catches up with the store. */
  start(store: FollowedEventStore): void {
    this.store = store;
    this.resume();
  }

  /** Called by the store after each commit, before its callers are answered. */
  follow(events: readonly RecordedEvent[]): void {
    if (this.mode !== 'live' || events.length === 0) return;
    if (this.sent - this.written > this.options.maxLag) {
      // The writer is far behind: stop queueing in memory, and read from the store once it has caught up.
      this.logger.warn({ behind: this.sent - this.written }, 'the audit writer is behind; catching up from the event store');
      void this.catchUp(this.generation);
      return;
    }
    try {
      this.handOver(events);
    } catch (error) {
      this.failed(this.generation, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Resolves once the audit file holds every event the store had committed
   * when this was called; rejects with SERVICE_UNAVAILABLE if that takes
   * longer than the configured timeout.
   */
  settled(): Promise<void> {
    const target = this.store?.headPosition() ?? 0;
    if (this.written >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new DomainError(ErrorCode.ServiceUnavailable, 'The audit log has not caught up with the latest writes yet; retry shortly'));
      }, this.options.settleTimeoutMs);
      const waiter: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits (a bounded time) for what was handed over to be written, then stops the writer. */
  async close(): Promise<void> {
    await this.settled().catch(() => undefined);
    this.closed = true;
    this.mode = 'stopped';
    clearTimeout(this.retryTimer);
    await this.writer.stop();
  }

  committed(generation: number, upTo: number): void {
    if (generation !== this.generation) return;
    this.written = upTo;
    this.retryMs = this.options.retryMs[0];
    this.wake();
  }

  failed(generation: number, reason: string): void {
    if (generation !== this.generation || this.closed || !this.store) return;
    this.logger.error({ reason, retryInMs: this.retryMs }, 'writing the audit log failed; resuming from the event store');
    this.generation++;
    this.mode = 'waiting';
    // The catch-up loop of the old generation wakes up and ends; readers keep waiting for the new one.
    for (const waiter of this.catchUpWaiters) waiter.resolve();
    this.catchUpWaiters = [];
    this.retryTimer = setTimeout(() => this.resume(), this.retryMs).unref();
    this.retryMs = Math.min(this.retryMs * 2, this.options.retryMs[1]);
  }

  died(reason: string): void {
    this.failed(this.generation, `the writer thread stopped: ${reason}`);
  }

  /** A new generation from the file's own state: its position in the store and its chain head. */
  private resume(): void {
    if (this.closed) return;
    try {
      this.writer.ensureRunning();
      const head = this.state.head.get();
      this.tail = head ? { seq: head.seq, hash: head.hash } : EMPTY_CHAIN_TAIL;
      this.frontier = restoreSqliteFrontier(this.auditDb, this.tail.seq);
      this.sent = this.written = this.state.position.get()?.position ?? 0;
    } catch (error) {
      // The file cannot be read (or the thread not started): try again later, as after a failed write.
      this.failed(this.generation, error instanceof Error ? error.message : String(error));
      return;
    }
    this.wake();
    void this.catchUp(this.generation);
  }

  /** Hands the store's events over chunk by chunk, never more than the lag bound ahead of the writer; goes live at the head. */
  private async catchUp(generation: number): Promise<void> {
    this.mode = 'catching-up';
    const store = this.store as FollowedEventStore;
    while (generation === this.generation) {
      if (this.sent - this.written > this.options.maxLag / 2) {
        await this.writtenUpTo(this.sent - this.options.maxLag / 4);
        continue;
      }
      let events: RecordedEvent[];
      try {
        events = store.readAll(this.sent, this.options.catchUpChunk);
        // Synchronously with the read that found nothing more: no commit can fall in between.
        if (events.length === 0) {
          this.mode = 'live';
          return;
        }
        this.handOver(events);
      } catch (error) {
        this.failed(generation, error instanceof Error ? error.message : String(error));
        return;
      }
    }
  }

  /** Maps, chains and adds to the tree the audited events of a batch, and hands the rows to the writer with the batch's last position. */
  private handOver(events: readonly RecordedEvent[]): void {
    const audited: [string, EpcisObjectEvent][] = [];
    for (const event of events) {
      const epcis = toEpcisEvent(event);
      if (epcis) audited.push([event.eventId, epcis]);
    }
    // On a copy: a fold that throws leaves the frontier as the file has it.
    const frontier = this.frontier.clone();
    const { tail, rows, tree } = foldRecords(this.tail, frontier, audited);
    this.tail = tail;
    this.frontier = frontier;
    this.sent = (events[events.length - 1] as RecordedEvent).position;
    this.writer.append(this.generation, rows, tree, this.sent);
  }

  /** Resolves when the file reaches `target`, or when the generation ends (the caller checks which). */
  private writtenUpTo(target: number): Promise<void> {
    return new Promise<void>((resolve) => this.catchUpWaiters.push({ target, resolve }));
  }

  private wake(): void {
    const due = (list: Waiter[]): Waiter[] => {
      const still: Waiter[] = [];
      for (const waiter of list) {
        if (waiter.target <= this.written) waiter.resolve();
        else still.push(waiter);
      }
      return still;
    };
    this.waiters = due(this.waiters);
    this.catchUpWaiters = due(this.catchUpWaiters);
  }
}
