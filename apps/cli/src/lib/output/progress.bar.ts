import { SingleBar } from 'cli-progress';

/** What a long command reports as it goes. */
export interface Progress {
  /** How much is done so far, in the bar's unit. */
  update(done: number): void;
  stop(): void;
}

export interface ProgressSpec {
  /** Shown before the bar: `exporting`, `verifying`. */
  readonly label: string;
  readonly unit: 'events' | 'bytes';
  /** The expected end; undefined shows a running count without a bar. */
  readonly total: number | undefined;
}

/** A terminal to draw on: stderr, when it is one. */
export type ProgressTerminal = NodeJS.WritableStream & { readonly isTTY?: boolean };

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

const MIB = 1024 * 1024;
const amount = (value: number, unit: ProgressSpec['unit']): string =>
  unit === 'bytes' ? `${(value / MIB).toFixed(value < 10 * MIB ? 1 : 0)} MiB` : `${value.toLocaleString('en-US')} events`;

/**
 * A progress bar on the terminal, or nothing: a pipe, a file or a CI log
 * gets no bar (nor its escape sequences), only the command's own messages.
 */
export function progressBar(terminal: ProgressTerminal | undefined, spec: ProgressSpec): Progress {
  if (terminal?.isTTY !== true) return NO_PROGRESS;
  const known = spec.total !== undefined && spec.total > 0;
  const bar = new SingleBar({
    stream: terminal,
    format: known
      ? `${spec.label} [{bar}] {percentage}% | {done} of {of} | {duration_formatted}, ETA {eta_formatted}`
      : `${spec.label} {done} | {duration_formatted}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    // Redraws at most this often: a million updates must not cost a million repaints.
    fps: 8,
  });
  const total = known ? (spec.total as number) : 0;
  bar.start(total, 0, { done: amount(0, spec.unit), of: amount(total, spec.unit) });
  let stopped = false;
  return {
    // A count past the expected total (the log grew meanwhile, or a trailing line was counted) shows a full bar rather than 101%.
    update: (done) => {
      const shown = known ? Math.min(done, total) : done;
      bar.update(shown, { done: amount(shown, spec.unit), of: amount(total, spec.unit) });
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
