import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Pages the writer lets the write-ahead log grow to before it checkpoints itself (SQLite's default). */
const FOREGROUND_CHECKPOINT_PAGES = 1000;
/** With a background checkpointer, the writer only checkpoints itself past this many pages (32 MiB of 4 KiB pages): a bound, not the rule. */
const BACKSTOP_CHECKPOINT_PAGES = 8192;
/** A write-ahead log left bigger than this after a checkpoint is truncated to it. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/**
 * The checkpointer's thread: its own connection to the same file, copying
 * committed pages from the write-ahead log into the database (PASSIVE: it
 * never waits for, nor blocks, the writer or a reader). Source text rather
 * than a file, so it runs the same from the build output and under Jest.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface SqliteCheckpointer {
  /** Checkpoints once more, closes the thread's connection and ends the thread. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the thread that writes. By default the
 * connection that commits a transaction past 1,000 WAL pages copies those
 * pages into the database file and fsyncs it before its caller resumes, which
 * took ~15% of an append's time; here a worker thread does that every
 * `intervalMs` on the other core. The writer keeps a larger automatic
 * checkpoint as a bound on the log's size, and goes back to the default if the
 * thread fails.
 */
export function startBackgroundCheckpointer(db: Database.Database, file: string, intervalMs = 50): SqliteCheckpointer {
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: { driver: require.resolve('better-sqlite3'), file, intervalMs },
  });
  const ended = new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    worker.once('error', () => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${FOREGROUND_CHECKPOINT_PAGES}`);
    });
  });
  worker.unref();
  return {
    stop: async () => {
      worker.ref(); // keeps the process up until the thread has closed its connection
      worker.postMessage('stop');
      await ended;
    },
  };
}
