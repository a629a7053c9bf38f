/**
 * Cuts a byte stream into lines at `\n`, without decoding it: a line that
 * spans two chunks is joined, every other line is a view into its chunk (no
 * copy). Memory holds one chunk and at most one partial line.
 */
export class LineSplitter {
  private carry: Buffer[] = [];

  /** Feeds a chunk; `onLine` gets each line it completes (without its `\n`). Stops early when `onLine` answers false. */
  push(chunk: Buffer, onLine: (line: Buffer) => boolean): boolean {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      const line = this.carry.length === 0 ? piece : Buffer.concat([...this.carry, piece]);
      this.carry = [];
      start = newline + 1;
      if (!onLine(line)) return false;
    }
    if (start < chunk.length) this.carry.push(chunk.subarray(start));
    return true;
  }

  /** The last line, which has no `\n` after it; nothing when the input ended with one. */
  end(onLine: (line: Buffer) => boolean): boolean {
    if (this.carry.length === 0) return true;
    const line = Buffer.concat(this.carry);
    this.carry = [];
    return onLine(line);
  }
}
