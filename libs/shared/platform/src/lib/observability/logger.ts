import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

import type { LogFormat } from '../config/app-config';

/**
 * Structured logs: JSON, or readable lines for a person at a terminal. Credentials never reach a line: bodies are not logged,
 * and these paths are censored wherever an object carrying them is logged.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.signature',
  '*.privateKey',
  '*.apiKey',
  '*.adminApiKey',
  '*.secret',
];

/** One line per entry: time, level, (process) message, then the other fields; also how start:distributed shows its processes' JSON. */
export const PRETTY_OPTIONS = {
  singleLine: true,
  colorize: process.stdout.isTTY === true,
  translateTime: 'SYS:HH:MM:ss.l',
  messageFormat: '{if app}({app}) {end}{msg}',
  ignore: 'pid,hostname,service,app',
} as const;

/** pino-pretty, loaded only for readable logs: JSON starts do not pay for it. */
const loadPretty = (): typeof PinoPretty => createRequire(__filename)('pino-pretty') as typeof PinoPretty;

/** M2M_LOG_FORMAT made concrete: auto means pretty when standard output is a terminal. */
export const usesPrettyLogs = (format: LogFormat): boolean => format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);

/**
 * The process's logger. Pretty lines are formatted in this thread (not a
 * worker), so they keep their order with anything else written to stdout.
 */
export function createLogger(level: string, destination?: pino.DestinationStream | LogFormat): Logger {
  // JSON asynchronously (a reader that stalls must not stall the server), ended with endLogs; pretty lines, for a person
  // at a terminal, synchronously, in order with the banner.
  const stream =
    typeof destination === 'string' ? (usesPrettyLogs(destination) ? loadPretty()({ ...PRETTY_OPTIONS, sync: true }) : pino.destination({ dest: 1, sync: false })) : destination;
  return pino(
    {
      level,
      base: { service: 'm2m-trust' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** Nest's start-up narration (every module initialised, every route mapped): detail for debugging, not news at info. */
const NEST_BOOTSTRAP_CONTEXTS = ['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication'];

/**
 * Writes out every line the logger still holds, then calls `then`: before a
 * process ends itself by a signal, which would drop asynchronous writes in
 * flight (pino's flush does not wait for them).
 */
export function endLogs(logger: Logger, then: () => void): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  // An asynchronous SonicBoom (JSON); the pretty stream has written everything already.
  if (!(stream instanceof EventEmitter) || typeof (stream as { flushSync?: unknown }).flushSync !== 'function') return then();
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    then();
  };
  stream.once('close', once);
  // Bounded: a stream that never closes must not keep the process from ending.
  setTimeout(once, 2_000);
  (stream as unknown as { end(): void }).end();
}

/** Lets Nest's own messages (bootstrap, errors) go through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write(context !== undefined && NEST_BOOTSTRAP_CONTEXTS.includes(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    this.write('error', message, context ?? stackOrContext);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, context?: string): void {
    if (message instanceof Error) this.logger[level]({ context, err: message }, message.message);
    else if (message !== null && typeof message === 'object') this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}
