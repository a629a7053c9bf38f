import { isIP, isIPv4 } from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The eight 16-bit groups of a valid IPv6 address, written out (`::` filled, a trailing dotted quad converted). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

/**
 * The key one client's requests count under. An IPv4 address counts as itself
 * (and so does the IPv4-mapped form a dual-stack socket reports); an IPv6
 * address by its /64 prefix, the smallest block a subscriber is given:
 * counting single IPv6 addresses would hand one client 2^64 budgets.
 */
export function clientAddressKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = IPV4_MAPPED.exec(plain);
  if (mapped) return mapped[1] as string;
  if (isIPv4(plain)) return plain;
  if (isIP(plain) !== 6) return plain;
  const prefix = ipv6Groups(plain)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':');
  return `${prefix}::/64`;
}

/** The address of a gRPC peer as grpc-js reports it ("host:port", the host unbracketed), without the port. */
export function peerAddress(peer: string): string {
  const withoutPort = peer.replace(/:\d+$/, '');
  return isIP(withoutPort) !== 0 ? withoutPort : peer;
}
