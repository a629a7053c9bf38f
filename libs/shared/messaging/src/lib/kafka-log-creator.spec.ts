import { logLevel } from 'kafkajs';

import { kafkaLogCreator, type MessagingLogger } from './kafka-log-creator';

function recorder(): { logger: MessagingLogger; lines: { level: string; fields: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { logger: { info: write('info'), warn: write('warn'), error: write('error') }, lines };
}

describe('kafkaLogCreator', () => {
  const entry = (level: logLevel, extra: Record<string, unknown>) => ({
    namespace: 'Producer',
    level,
    label: 'X',
    log: { timestamp: '2026-11-21T08:00:00.000Z', message: 'something happened', ...extra },
  });

  it('passes only allow-listed fields, so message values and request payloads never reach the log', () => {
    const { logger, lines } = recorder();
    kafkaLogCreator(logger)(logLevel.INFO)(
      entry(logLevel.ERROR, { topic: 't', partition: 1, error: new Error('boom'), value: 'secret', messages: [{ value: 'secret' }], payload: 'secret' }),
    );
    expect(lines).toEqual([
      { level: 'error', message: 'something happened', fields: { component: 'kafka', namespace: 'Producer', topic: 't', partition: 1, error: 'boom' } },
    ]);
  });

  it('maps levels and drops debug output', () => {
    const { logger, lines } = recorder();
    const log = kafkaLogCreator(logger)(logLevel.DEBUG);
    log(entry(logLevel.WARN, {}));
    log(entry(logLevel.INFO, {}));
    log(entry(logLevel.DEBUG, { buffer: 'secret' }));
    expect(lines.map((line) => line.level)).toEqual(['warn', 'info']);
  });

  it('logs the protocol error responses kafkajs handles itself at info, and any other error response at error', () => {
    const { logger, lines } = recorder();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    const response = (error: string) => ({ ...entry(logLevel.ERROR, { error }), namespace: 'Connection' });
    log(response('Topic creation errors'));
    log(response('The group is rebalancing, so a rejoin is needed'));
    log(response('Not authorized to access topics'));
    log(entry(logLevel.ERROR, { error: 'Topic creation errors' }));
    expect(lines.map((line) => line.level)).toEqual(['info', 'info', 'error', 'error']);
  });
});
