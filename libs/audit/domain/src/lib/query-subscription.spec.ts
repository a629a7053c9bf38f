import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { checkDestination, parseSubscriptionRequest, type QuerySubscription, subscriptionView } from './query-subscription';

const ANY = { allowedHosts: null };
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
};

describe('webhook destinations', () => {
  it('allows any http(s) host unless the operator lists them, comparing hosts case-insensitively and IPv6 without brackets', () => {
    expect(checkDestination('https://Receiver.Example/cb?x=1', ANY).href).toBe('https://receiver.example/cb?x=1');
    const listed = { allowedHosts: ['receiver.example', '::1'] };
    expect(checkDestination('https://RECEIVER.example:8443/cb', listed).hostname).toBe('receiver.example');
    expect(checkDestination('http://[::1]:9000/cb', listed).port).toBe('9000');
    expect(codeOf(() => checkDestination('http://127.0.0.1/cb', listed))).toBe(ErrorCode.SubscriptionControlsInvalid);
    expect(codeOf(() => checkDestination('http://169.254.169.254/latest/meta-data', listed))).toBe(ErrorCode.SubscriptionControlsInvalid);
  });

  it.each(['ftp://receiver.example/x', 'file:///etc/passwd', 'gopher://x', 'javascript:alert(1)', '//receiver.example/x', 'https://u:p@receiver.example/', ''])(
    'refuses %p, without echoing it',
    (dest) => {
      let message = '';
      try {
        checkDestination(dest, ANY);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^dest: /);
      if (dest.length > 0) expect(message).not.toContain(dest);
    },
  );
});

describe('parseSubscriptionRequest', () => {
  it('reads the binding body and normalises initialRecordTime', () => {
    expect(parseSubscriptionRequest({ dest: 'https://r.example/cb', signatureToken: 't', stream: true, initialRecordTime: '2026-01-01T01:00:00+01:00' }, ANY)).toEqual({
      dest: 'https://r.example/cb',
      signatureToken: 't',
      initialRecordTime: '2026-01-01T00:00:00.000Z',
      schedule: null,
      reportIfEmpty: false,
    });
    expect(parseSubscriptionRequest({ dest: 'https://r.example/cb', stream: true }, ANY)).toMatchObject({ dest: 'https://r.example/cb', signatureToken: null, initialRecordTime: null });
  });

  it('reads a scheduled subscription: the binding example at 1.05am, reporting empty results', () => {
    expect(parseSubscriptionRequest({ dest: 'https://r.example/cb', reportIfEmpty: true, schedule: { hour: '1', minute: '5' } }, ANY)).toMatchObject({
      schedule: { hour: '1', minute: '5' },
      reportIfEmpty: true,
    });
    expect(parseSubscriptionRequest({ dest: 'https://r.example/cb', schedule: { second: '[0-59]' } }, ANY)).toMatchObject({ reportIfEmpty: false });
  });

  it.each([
    ['stream false', { dest: 'https://r.example', stream: false }],
    ['stream as a string', { dest: 'https://r.example', stream: 'true' }],
    ['reportIfEmpty on a stream', { dest: 'https://r.example', stream: true, reportIfEmpty: true }],
    ['a schedule and a stream', { dest: 'https://r.example', stream: true, schedule: { minute: '5' } }],
    ['a schedule and stream false', { dest: 'https://r.example', stream: false, schedule: { minute: '5' } }],
    ['neither schedule nor stream', { dest: 'https://r.example' }],
    ['reportIfEmpty as a string', { dest: 'https://r.example', schedule: {}, reportIfEmpty: 'true' }],
    ['a schedule out of range', { dest: 'https://r.example', schedule: { hour: '24' } }],
    ['a token that is no string', { dest: 'https://r.example', stream: true, signatureToken: 42 }],
    ['an array body', []],
  ])('refuses %s as a SubscriptionControlsException', (_, body) => {
    expect(codeOf(() => parseSubscriptionRequest(body, ANY))).toBe(ErrorCode.SubscriptionControlsInvalid);
  });
});

it('answers a subscription without its signature token', () => {
  const stored: QuerySubscription = {
    subscriptionID: '6f1d1c3e-0000-4000-8000-000000000000',
    queryName: 'q',
    dest: 'https://r.example/',
    signatureToken: 'secret',
    initialRecordTime: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastNotifiedAt: null,
    checkpoint: 7,
    schedule: null,
    reportIfEmpty: false,
    lastRunAt: null,
  };
  expect(JSON.stringify(subscriptionView(stored))).not.toContain('secret');
  expect(subscriptionView({ ...stored, lastNotifiedAt: '2026-01-02T00:00:00.000Z' })).toMatchObject({ lastNotifiedAt: '2026-01-02T00:00:00.000Z', stream: true });
  const scheduled = subscriptionView({ ...stored, schedule: { minute: '5' }, reportIfEmpty: true });
  expect(scheduled).toMatchObject({ schedule: { minute: '5' }, reportIfEmpty: true });
  expect(scheduled).not.toHaveProperty('stream');
});
