import { clientAddressKey, peerAddress } from './client-address';

describe('clientAddressKey', () => {
  it('counts an IPv4 address as itself, mapped or not', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('counts every address of one IPv6 /64 under one key', () => {
    const key = clientAddressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:ffff:ffff:fffe')).toBe(key);
    expect(clientAddressKey('2001:db8:1:2:a:b:c:d%eth0')).toBe(key);
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(key);
  });

  it('writes out compressed groups and embedded dotted quads', () => {
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('64:ff9b:1:2::198.51.100.1')).toBe('64:ff9b:1:2::/64');
  });

  it('leaves what is no address as it is', () => {
    expect(clientAddressKey('unknown')).toBe('unknown');
  });
});

describe('peerAddress', () => {
  it('drops the port grpc-js appends', () => {
    expect(peerAddress('127.0.0.1:50123')).toBe('127.0.0.1');
    expect(peerAddress('::1:50123')).toBe('::1');
    expect(peerAddress('::ffff:10.0.0.2:443')).toBe('::ffff:10.0.0.2');
    expect(peerAddress('2001:db8::7:50123')).toBe('2001:db8::7');
  });

  it('keeps a peer without a port', () => {
    expect(peerAddress('unknown')).toBe('unknown');
    expect(peerAddress('10.0.0.2')).toBe('10.0.0.2');
  });
});
