import { type logCreator,logLevel } from 'kafkajs';

/** The slice of a pino logger this lib writes to. */
export interface MessagingLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * The client's log fields that may reach our logs. An allow-list, not a
 * deny-list: message values can carry key material, and kafkajs' debug output
 * (which KAFKAJS_LOG_LEVEL can switch on) includes request payloads.
 */
const SAFE_FIELDS = new Set([
  'broker',
  'clientId',
  'groupId',
  'memberId',
  'generationId',
  'groupGenerationId',
  'leaderId',
  'isLeader',
  'topic',
  'topics',
  'partition',
  'offset',
  'retryCount',
  'retryTime',
  'retriable',
  'duration',
  'nodeId',
  'host',
  'port',
  'error',
  'stack',
]);

/** kafkajs re-suggests this on every producer we create; we retry whole batches ourselves (see README). */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

/**
 * Error responses the client logs at error level although they are the
 * protocol working as designed and kafkajs handles them (a topic another
 * service created first, a heartbeat answered "rejoin" during a rebalance).
 * Logged at info: an operator's error log is for errors.
 */
const EXPECTED_RESPONSE_ERRORS = [
  'Topic creation errors',
  'The group is rebalancing, so a rejoin is needed',
  'The coordinator is loading and hence can\'t process requests',
  'This is not the correct coordinator for this group',
];

export function kafkaLogCreator(logger: MessagingLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      const fields: Record<string, unknown> = { component: 'kafka', namespace };
      for (const [name, value] of Object.entries(extra)) {
        if (!SAFE_FIELDS.has(name)) continue;
        fields[name] = value instanceof Error ? value.message : value;
      }
      switch (level) {
        case logLevel.ERROR:
          return namespace === 'Connection' && EXPECTED_RESPONSE_ERRORS.includes(String(fields['error']))
            ? logger.info(fields, message)
            : logger.error(fields, message);
        case logLevel.WARN:
          return EXPECTED_WARNINGS.includes(message) ? logger.info(fields, message) : logger.warn(fields, message);
        case logLevel.INFO:
          return logger.info(fields, message);
        case logLevel.DEBUG:
        case logLevel.NOTHING:
          return undefined;
      }
    };
}

/** For buses built without a logger: errors still reach stderr. */
export const stderrLogger: MessagingLogger = {
  info: () => undefined,
  warn: (fields, message) => process.stderr.write(`${JSON.stringify({ level: 'warn', ...fields, msg: message })}\n`),
  error: (fields, message) => process.stderr.write(`${JSON.stringify({ level: 'error', ...fields, msg: message })}\n`),
};
