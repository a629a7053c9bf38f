import { isM2MError, M2MApiError } from '@m2m-trust/sdk';

import { type Progress, progressBar, type ProgressSpec, type ProgressTerminal } from './progress.bar';
import { printable } from './table.formatter';

export interface TextSink {
  write(text: string): unknown;
}

/**
 * Where results and messages go: results on stdout (tables, or JSON with
 * --json), everything else on stderr, so `--json | jq` always sees JSON.
 */
export class CliOutput {
  constructor(
    private readonly stdout: TextSink,
    private readonly stderr: TextSink,
    readonly json: boolean,
    /** stderr as a terminal, for progress bars; undefined when it is not one. */
    private readonly terminal?: ProgressTerminal,
  ) {}

  /** Whether progress bars show (stderr is a terminal): worth asking the service for a total only then. */
  get showsProgress(): boolean {
    return this.terminal?.isTTY === true;
  }

  /** A progress bar on stderr when it is a terminal; otherwise a no-op. Stop it before printing anything else. */
  progress(spec: ProgressSpec): Progress {
    return progressBar(this.terminal, spec);
  }

  /** The command's result: `data` as JSON with --json, else the human text. */
  result(data: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : human());
  }

  /** Raw stdout, for results written piece by piece. */
  write(text: string): void {
    this.stdout.write(text);
  }

  /** A message for the person at the terminal (never parsed): stderr. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  error(error: unknown): void {
    if (this.json) {
      this.stderr.write(`${JSON.stringify({ error: describe(error) })}\n`);
      return;
    }
    const { message, requestId, fields } = describe(error);
    const lines = [`m2m: ${printable(message)}`];
    for (const field of fields ?? []) lines.push(`  ${printable(field.path)}: ${printable(field.message)}`);
    if (requestId) lines.push(`  request id: ${printable(requestId)}`);
    this.stderr.write(`${lines.join('\n')}\n`);
  }
}

interface ErrorDescription {
  readonly code?: string;
  readonly status?: number;
  readonly message: string;
  readonly requestId?: string;
  readonly fields?: readonly { path: string; message: string }[];
}

function describe(error: unknown): ErrorDescription {
  if (error instanceof M2MApiError) {
    return {
      code: error.code,
      status: error.status,
      message: error.message,
      ...(error.requestId ? { requestId: error.requestId } : {}),
      ...(error.errors.length > 0 ? { fields: error.errors } : {}),
    };
  }
  if (isM2MError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { message: String(error) };
}
