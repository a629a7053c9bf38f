import { Worker } from 'node:worker_threads';

import type { StoredCheckpoint } from '../audit-chain.store';
import type { AuditRecordRow } from '../audit-record-row';
import type { TreeRows } from '../audit-tree-rows';
import { SAVE_CHECKPOINT_SQL } from './sqlite-audit-chain.store';

/** The columns of an audit record, in the order of {@link AuditRecordRow}. */
export const AUDIT_RECORD_COLUMNS =
  'seq, prev_hash, hash, event_id, source_event_id, event_type, event_time, record_time, action, biz_step, disposition, epc, reason, challenge_id, key_thumbprint, actor, request_id, method, document';

export const INSERT_AUDIT_RECORD_SQL = `INSERT INTO audit_events (${AUDIT_RECORD_COLUMNS}) VALUES (${AUDIT_RECORD_COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})`;

export const INSERT_TREE_NODE_SQL = 'INSERT INTO audit_tree (level, idx, hash) VALUES (?, ?, ?)';

/** Tree rows as they cross to the writer thread: the hashes end to end in one buffer (one copy, not one object a hash). */
interface PackedTreeRows {
  readonly levels: readonly number[];
  readonly indexes: readonly number[];
  readonly hashes: Uint8Array;
}

const packTree = (tree: TreeRows): PackedTreeRows => ({ levels: tree.levels, indexes: tree.indexes, hashes: Buffer.concat(tree.hashes) });

/** Records one transaction of the writer takes at most, however many are queued. */
const MAX_RECORDS_PER_TRANSACTION = 20_000;

/**
 * The writer's thread: the audit file's only writer. It drains every message
 * queued since its last transaction and writes the appends among them in one
 * transaction together with the store position they reach, so the log and its
 * position never disagree. After a failed transaction it drops the rest of
 * that generation's appends: the follower starts a new generation from what
 * the file holds. Source text rather than a file, so it runs the same from the
 * build output and under Jest.
 */
const WRITER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -65536');
const insert = db.prepare(workerData.insertSql);
const savePosition = db.prepare('UPDATE audit_source SET position = ? WHERE id = 1');
const insertNode = db.prepare(workerData.insertNodeSql);
const saveCheckpoint = db.prepare(workerData.saveCheckpointSql);
const commit = db.transaction((appends) => {
  for (const append of appends) {
    for (const row of append.rows) insert.run(row);
    const { levels, indexes, hashes } = append.tree;
    const all = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
    for (let i = 0; i < levels.length; i++) insertNode.run(levels[i], indexes[i], all.subarray(i * 32, i * 32 + 32));
  }
  savePosition.run(appends[appends.length - 1].upTo);
});
let dropping = -1;
let appends = [];
const flush = () => {
  if (appends.length === 0) return;
  const batch = appends;
  appends = [];
  const generation = batch[0].generation;
  try {
    commit.immediate(batch);
    parentPort.postMessage({ kind: 'committed', generation, upTo: batch[batch.length - 1].upTo });
  } catch (error) {
    dropping = generation;
    parentPort.postMessage({ kind: 'failed', generation, message: String(error && error.message || error) });
  }
};
const handle = (message) => {
  if (message.kind === 'append') {
    if (message.generation <= dropping) return;
    if (appends.length > 0 && appends[0].generation !== message.generation) flush();
    appends.push(message);
    return;
  }
  flush();
  if (message.kind === 'checkpoint') {
    try {
      saveCheckpoint.run(message.row);
      parentPort.postMessage({ kind: 'saved', id: message.id });
    } catch (error) {
      parentPort.postMessage({ kind: 'save-failed', id: message.id, message: String(error && error.message || error) });
    }
  } else if (message.kind === 'stop') {
    db.close();
    parentPort.close();
  }
};
parentPort.on('message', (first) => {
  handle(first);
  let records = first.rows ? first.rows.length : 0;
  for (let next; records < workerData.maxRecords && (next = receiveMessageOnPort(parentPort)); ) {
    handle(next.message);
    records += next.message.rows ? next.message.rows.length : 0;
  }
  flush();
});
`;

export interface AuditWriterEvents {
  /** The file holds every record of `generation` handed over up to store position `upTo`. */
  committed(generation: number, upTo: number): void;
  /** A transaction of `generation` failed: nothing more of it will be written. */
  failed(generation: number, reason: string): void;
  /** The thread died: nothing handed over since its last commit will be written. */
  died(reason: string): void;
}

/**
 * The embedded audit file's writer on a thread of its own, so the log's
 * indexes, hashing-free inserts and fsyncs run on the other core while the
 * main thread serves requests and appends to the event store. Appends are
 * fire-and-forget and acknowledged by position; checkpoint saves are answered.
 */
export class SqliteAuditWriterThread {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly saves = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private stopped: Promise<void> | null = null;

  constructor(
    private readonly file: string,
    private readonly events: AuditWriterEvents,
  ) {}

  /** Starts the thread if it is not running (at start, or after it died). */
  ensureRunning(): void {
    if (this.worker || this.stopped) return;
    const worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        file: this.file,
        insertSql: INSERT_AUDIT_RECORD_SQL,
        insertNodeSql: INSERT_TREE_NODE_SQL,
        saveCheckpointSql: SAVE_CHECKPOINT_SQL,
        maxRecords: MAX_RECORDS_PER_TRANSACTION,
      },
    });
    worker.on('message', (message: WriterMessage) => this.onMessage(message));
    const died = (reason: string): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const save of this.saves.values()) save.reject(new Error(`the audit writer stopped: ${reason}`));
      this.saves.clear();
      if (!this.stopped) this.events.died(reason);
    };
    worker.once('error', (error) => died(error.message));
    worker.once('exit', (code) => died(`exited with code ${code}`));
    worker.unref();
    this.worker = worker;
  }

  /** Hands over a batch's records and the tree rows they complete, written in one transaction with the position they reach. */
  append(generation: number, rows: readonly AuditRecordRow[], tree: TreeRows, upTo: number): void {
    this.worker?.postMessage({ kind: 'append', generation, rows, tree: packTree(tree), upTo });
  }

  saveCheckpoint(c: StoredCheckpoint): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('the audit writer is not running'));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.saves.set(id, { resolve, reject });
      worker.postMessage({ kind: 'checkpoint', id, row: [c.seq, c.head, c.signedAt, c.kid, c.jws, c.note] });
    });
  }

  /** Writes what was handed over, closes the thread's connection and ends the thread. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const worker = this.worker;
      if (!worker) return resolve();
      worker.ref(); // keeps the process up until the thread has closed its connection
      worker.once('exit', () => resolve());
      worker.postMessage({ kind: 'stop' });
    });
    return this.stopped;
  }

  private onMessage(message: WriterMessage): void {
    switch (message.kind) {
      case 'committed':
        this.events.committed(message.generation, message.upTo);
        return;
      case 'failed':
        this.events.failed(message.generation, message.message);
        return;
      case 'saved':
      case 'save-failed': {
        const save = this.saves.get(message.id);
        this.saves.delete(message.id);
        if (message.kind === 'saved') save?.resolve();
        else save?.reject(new Error(message.message));
        return;
      }
    }
  }
}

type WriterMessage =
  | { kind: 'committed'; generation: number; upTo: number }
  | { kind: 'failed'; generation: number; message: string }
  | { kind: 'saved'; id: number }
  | { kind: 'save-failed'; id: number; message: string };
