// M2M_TRUST_PROXY, the part of loadConfig that decides which address a rate limit counts.
import { ConfigError, loadConfig } from '@m2m-trust/shared-platform';

describe('M2M_TRUST_PROXY (loadConfig)', () => {
  it('trusts no proxy by default: the socket address is the client', () => {
    expect(loadConfig({}).http.trustProxy).toEqual([]);
  });

  it('takes addresses, CIDRs and the loopback/linklocal/uniquelocal presets', () => {
    expect(loadConfig({ M2M_TRUST_PROXY: '10.0.0.1,10.1.0.0/16,::1,fd00::/8,loopback' }).http.trustProxy).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['true', '*', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', 'proxy.example', '10.0.0.1,,10.0.0.2', '10.0.0.1, 10.0.0.2'])(
    'refuses %s, naming the variable',
    (value) => {
      expect(() => loadConfig({ M2M_TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ M2M_TRUST_PROXY: value })).toThrow(/M2M_TRUST_PROXY/);
    },
  );
});
