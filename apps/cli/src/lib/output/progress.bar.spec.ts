import { PassThrough } from 'node:stream';

import { progressBar, type ProgressTerminal } from './progress.bar';

/** A stream that says it is a terminal, recording what was drawn on it. */
function terminal(isTTY: boolean): { stream: ProgressTerminal; drawn: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let drawn = '';
  stream.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
  return { stream, drawn: () => drawn };
}

describe('progressBar', () => {
  it('draws nothing where stderr is not a terminal (a pipe, a file, CI)', () => {
    const { stream, drawn } = terminal(false);
    const bar = progressBar(stream, { label: 'exporting', unit: 'events', total: 10 });
    bar.update(5);
    bar.stop();
    expect(drawn()).toBe('');
    expect(progressBar(undefined, { label: 'x', unit: 'bytes', total: 1 })).toMatchObject({ update: expect.any(Function) });
  });

  it('draws a bar towards a known total, never past it, and stops once', () => {
    const { stream, drawn } = terminal(true);
    const bar = progressBar(stream, { label: 'verifying', unit: 'bytes', total: 4 * 1024 * 1024 });
    bar.update(2 * 1024 * 1024);
    bar.update(9 * 1024 * 1024);
    bar.stop();
    bar.stop();
    expect(drawn()).toContain('verifying [');
    expect(drawn()).toContain('4.0 MiB of 4.0 MiB');
    expect(drawn()).not.toContain('9.0 MiB');
  });

  it('counts without a bar when the total is unknown', () => {
    const { stream, drawn } = terminal(true);
    const bar = progressBar(stream, { label: 'exporting', unit: 'events', total: undefined });
    bar.update(1234);
    bar.stop();
    expect(drawn()).toContain('exporting 1,234 events | ');
    expect(drawn()).not.toContain('exporting [');
  });
});
