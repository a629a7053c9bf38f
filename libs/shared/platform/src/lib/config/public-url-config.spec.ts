import { ConfigError, loadConfig } from './app-config';

const publicUrlOf = (env: Record<string, string>) => loadConfig(env).signatures.publicUrl;

describe('M2M_PUBLIC_URL (docs/http-signatures.md)', () => {
  it('keeps the origin of an http(s) URL', () => {
    expect(publicUrlOf({ M2M_PUBLIC_URL: 'https://M2M.example.com' })).toEqual({ kind: 'origin', origin: 'https://m2m.example.com' });
    expect(publicUrlOf({ M2M_PUBLIC_URL: 'http://127.0.0.1:8080/' })).toEqual({ kind: 'origin', origin: 'http://127.0.0.1:8080' });
    expect(publicUrlOf({ M2M_PUBLIC_URL: 'https://m2m.example.com:443' })).toEqual({ kind: 'origin', origin: 'https://m2m.example.com' });
  });

  it('takes "listening" as the URL the process will listen on', () => {
    expect(publicUrlOf({ M2M_PUBLIC_URL: 'listening' })).toEqual({ kind: 'listening' });
  });

  it('falls back on M2M_AUDIENCE only when that is an http(s) URL, else none', () => {
    expect(publicUrlOf({ M2M_AUDIENCE: 'https://aud.example.com' })).toEqual({ kind: 'origin', origin: 'https://aud.example.com' });
    expect(publicUrlOf({ M2M_AUDIENCE: 'urn:example:m2m' })).toBeNull();
    expect(publicUrlOf({})).toBeNull();
    expect(publicUrlOf({ M2M_AUDIENCE: 'https://aud.example.com', M2M_PUBLIC_URL: 'https://public.example.com' })).toEqual({ kind: 'origin', origin: 'https://public.example.com' });
  });

  it.each(['m2m.example.com', 'ftp://m2m.example.com', 'https://m2m.example.com/api', 'https://m2m.example.com/?a=1', 'https://m2m.example.com/#x', 'https://user:pw@m2m.example.com', 'https://m2m.example.com?'])(
    'refuses %s at start',
    (value) => {
      expect(() => loadConfig({ M2M_PUBLIC_URL: value })).toThrow(ConfigError);
      expect(() => loadConfig({ M2M_PUBLIC_URL: value })).toThrow(/M2M_PUBLIC_URL/);
    },
  );
});

describe("M2M_PUBLIC_URL as the audit log's origin (docs/epcis.md)", () => {
  const originOf = (env: Record<string, string>) => loadConfig(env).audit.logOrigin;

  it('names the checkpoint notes after the public URL without its scheme, unless M2M_AUDIT_LOG_ORIGIN does', () => {
    expect(originOf({ M2M_PUBLIC_URL: 'https://m2m.example.com' })).toBe('m2m.example.com');
    expect(originOf({ M2M_PUBLIC_URL: 'http://127.0.0.1:8080/' })).toBe('127.0.0.1:8080');
    expect(originOf({ M2M_PUBLIC_URL: 'https://m2m.example.com', M2M_AUDIT_LOG_ORIGIN: 'log.example.com/audit' })).toBe('log.example.com/audit');
  });

  it('leaves it to the audience for `listening` (the port of the day) and without a public URL', () => {
    expect(originOf({ M2M_PUBLIC_URL: 'listening' })).toBeNull();
    expect(originOf({ M2M_AUDIENCE: 'https://aud.example.com/api' })).toBeNull();
    expect(originOf({})).toBeNull();
  });
});
