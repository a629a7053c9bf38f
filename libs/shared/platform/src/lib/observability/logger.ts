import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

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

/** M2M_LOG_FORMAT made concrete: auto means pretty when standard output is a terminal. */
export const usesPrettyLogs = (format: LogFormat): boolean => format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);

/**
 * The process's logger. Pretty lines are formatted in this thread (not a
 * worker), so they keep their order with anything else written to stdout.
 */
export function createLogger(level: string, destination?: pino.DestinationStream | LogFormat): Logger {
  // Synchronous writes, JSON or pretty: a line logged just before the process ends (a stop, a fatal error) is never lost,
  // and lines keep their order with the banner, which goes to stdout too.
  const stream =
    typeof destination === 'string' ? (usesPrettyLogs(destination) ? pretty({ ...PRETTY_OPTIONS, sync: true }) : pino.destination({ dest: 1, sync: true })) : destination;
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
