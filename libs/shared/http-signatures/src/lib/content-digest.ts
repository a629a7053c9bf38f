import { createHash } from 'node:crypto';
import { isInnerList, parseDictionary, serializeDictionary } from 'structured-headers';

/** The RFC 9530 algorithms this service computes and checks: the two the IANA registry marks "Active". */
export type DigestAlgorithm = 'sha-256' | 'sha-512';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['sha-256', 'sha-512'];

const HASH: Record<DigestAlgorithm, string> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

/** The `Content-Digest` field value (RFC 9530) for these body bytes, e.g. `sha-256=:X48E…:`. */
export function contentDigest(body: Uint8Array | undefined, algorithm: DigestAlgorithm = 'sha-256'): string {
  const digest = createHash(HASH[algorithm])
    .update(body ?? new Uint8Array())
    .digest();
  return serializeDictionary(new Map([[algorithm, [digest, new Map()]]]));
}

export type DigestCheck = 'match' | 'mismatch' | 'malformed' | 'unsupported';

/**
 * Checks a `Content-Digest` field against the body. Every sha-256 / sha-512
 * member must match; other members (md5, crc32c, …: insecure or unknown to us)
 * are ignored, but at least one member we check must be present, or a sender
 * could cover a digest nobody verifies.
 */
export function checkContentDigest(fieldValue: string, body: Uint8Array | undefined): DigestCheck {
  let members;
  try {
    members = parseDictionary(fieldValue);
  } catch {
    return 'malformed';
  }
  let checked = 0;
  for (const [name, member] of members) {
    if (!isDigestAlgorithm(name)) continue;
    if (isInnerList(member) || !(member[0] instanceof ArrayBuffer)) return 'malformed';
    const expected = createHash(HASH[name])
      .update(body ?? new Uint8Array())
      .digest();
    if (!expected.equals(Buffer.from(member[0]))) return 'mismatch';
    checked++;
  }
  return checked > 0 ? 'match' : 'unsupported';
}

const isDigestAlgorithm = (name: string): name is DigestAlgorithm => (DIGEST_ALGORITHMS as readonly string[]).includes(name);
