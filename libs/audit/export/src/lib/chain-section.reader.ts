import { type ChainLink, splitChainLink } from '@m2m-trust/audit-domain';

import { type ReadAt } from './export-codec';

const WINDOW = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Where the chain section's first link starts: at `claimed` (the manifest's
 * `chainStart`) when the opening line ends right there, as in a file as it
 * was exported; otherwise (events edited, added or removed before it) the
 * last `opener` line before `end`, found by reading backwards, so that each
 * event is still paired with its own link and the first edited record is
 * named. Null when there is none.
 */
export function locateChainSection(readAt: ReadAt, opener: string, claimed: number, end: number): number | null {
  const marker = Buffer.from(`\n${opener}\n`, 'utf8');
  if (claimed >= marker.length && claimed <= end && readAt(claimed - marker.length, marker.length).equals(marker)) return claimed;
  for (let stop = end; stop > 0; ) {
    const from = Math.max(0, stop - WINDOW);
    // Overlapping by a marker's length, so one that spans two windows is found.
    const window = readAt(from, Math.min(end, stop + marker.length - 1) - from);
    const at = window.lastIndexOf(marker);
    if (at !== -1) return from + at + marker.length;
    stop = from;
  }
  return null;
}

/**
 * Reads a JSON-LD export's chain section (`"m2m:chain":[` then one
 * `{"m2m:seq":…,"m2m:prevHash":…,"m2m:recordHash":…}` per line, then `]`)
 * from its own position in the file, one link at a time, so that a walker
 * over the events can pair each event with its link as it goes: the file is
 * read once more over the section, never held whole.
 */
export class ChainSectionReader {
  private window: Buffer = Buffer.alloc(0);
  private at = 0;
  private finished = false;

  constructor(
    private readonly readAt: ReadAt,
    private position: number,
    private readonly end: number,
  ) {}

  /** The next link; `end` at the list's closing `]`; otherwise what is wrong with the line. */
  next(): ChainLink | 'end' | string {
    for (;;) {
      if (this.finished) return 'end';
      const line = this.line();
      if (line === null) return 'the chain section ends before its closing ]';
      const text = line.replace(/[\s,]+$/, '');
      if (text === '') continue;
      if (text === ']') {
        this.finished = true;
        return 'end';
      }
      let entry: unknown;
      try {
        entry = JSON.parse(text);
      } catch {
        return 'a line of the chain section is not JSON';
      }
      const split = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? splitChainLink(entry as Record<string, unknown>) : null;
      if (split === null || Object.keys(split.event).length > 0) return 'a line of the chain section is not {"m2m:seq", "m2m:prevHash", "m2m:recordHash"}';
      return split.link;
    }
  }

  /** The next line of the section, or null when the body ends first. */
  private line(): string | null {
    for (;;) {
      const newline = this.window.indexOf(NEWLINE, this.at);
      if (newline !== -1) {
        const line = this.window.toString('utf8', this.at, newline);
        this.at = newline + 1;
        return line;
      }
      if (this.position >= this.end) {
        if (this.at >= this.window.length) return null;
        const last = this.window.toString('utf8', this.at);
        this.at = this.window.length;
        return last;
      }
      const more = this.readAt(this.position, Math.min(WINDOW, this.end - this.position));
      if (more.length === 0) return null;
      this.position += more.length;
      this.window = Buffer.concat([this.window.subarray(this.at), more]);
      this.at = 0;
    }
  }
}
