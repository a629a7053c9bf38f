import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet } from 'jose';

import { manifestFault, type VerifyFault } from './verify-fault';

export const EXPORT_FORMATS = ['jsonld', 'xml', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_MANIFEST_JWS_TYPE = 'm2m-audit-export+jws';

/**
 * What an export's signed manifest asserts. `bodySha256` covers every byte of
 * the file before the manifest itself; `complete` says the export holds every
 * record from 1 to `lastSeq` (no filters), so its chain can be walked whole.
 */
export interface ExportManifest {
  readonly iss: string;
  readonly iat: number;
  readonly format: ExportFormat;
  readonly count: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Hash of the last exported record: the chain head when the export is complete. */
  readonly chainHead: string | null;
  /** The chain's head when the export started (every exported record is at or before it). */
  readonly snapshotSeq: number;
  readonly complete: boolean;
  readonly filters: Readonly<Record<string, string>>;
  readonly bodySha256: string;
  /**
   * Byte offset of the first link of the chain section (JSON-LD, XML), null
   * for CSV (its links are columns). Absent from manifests written before the
   * chain moved out of the events: those files carry each link inside its event.
   */
  readonly chainStart?: number | null;
}

/** Whether a manifest describes the layout from before the chain section: links inside the events (JSON-LD, XML). */
export const linksInEvents = (manifest: ExportManifest): boolean => manifest.chainStart === undefined;

// The manifest's signature, checked the way verifyCheckpointJws (audit-domain)
// checks a checkpoint (EdDSA only, the expected `typ`, then the claims' shape),
// but saying which of those failed: an auditor handed the wrong key set needs
// to hear that, not just "invalid".

export interface VerifiedManifest {
  readonly manifest: ExportManifest;
  /** The id of the key that signed it. */
  readonly kid: string | undefined;
}

const HASH = /^[0-9a-f]{64}$/;
const isSeq = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 1;
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/** The claims, if they have the shape of ExportManifest; otherwise what is wrong. */
export function manifestClaims(value: unknown): ExportManifest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the claims are not a JSON object';
  const c = value as Record<string, unknown>;
  if (typeof c['iss'] !== 'string') return 'iss is not a string';
  if (!isCount(c['iat'])) return 'iat is not a time';
  if (!(EXPORT_FORMATS as readonly unknown[]).includes(c['format'])) return `format is not one of ${EXPORT_FORMATS.join(', ')}`;
  if (!isCount(c['count'])) return 'count is not a whole number';
  for (const name of ['firstSeq', 'lastSeq'] as const) if (c[name] !== null && !isSeq(c[name])) return `${name} is not a sequence number or null`;
  if (c['chainHead'] !== null && !(typeof c['chainHead'] === 'string' && HASH.test(c['chainHead']))) return 'chainHead is not a hash or null';
  if (!isCount(c['snapshotSeq'])) return 'snapshotSeq is not a whole number';
  if (typeof c['complete'] !== 'boolean') return 'complete is not a boolean';
  const filters = c['filters'];
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters) || Object.values(filters).some((v) => typeof v !== 'string')) {
    return 'filters is not an object of strings';
  }
  if (typeof c['bodySha256'] !== 'string' || !HASH.test(c['bodySha256'])) return 'bodySha256 is not a SHA-256 hash';
  if ('chainStart' in c && c['chainStart'] !== null && !isCount(c['chainStart'])) return 'chainStart is not a byte offset or null';
  return c as unknown as ExportManifest;
}

/** The manifest's claims without checking its signature: for the summary after a download, never for a verdict. */
export function unverifiedManifest(jws: string): ExportManifest | null {
  const payload = jws.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = manifestClaims(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return typeof claims === 'string' ? null : claims;
  } catch {
    return null;
  }
}

/** Checks the manifest's signature against the key set, then its type and claims. */
export async function verifyManifest(jws: string, keys: JSONWebKeySet): Promise<VerifiedManifest | VerifyFault> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(jws).kid;
  } catch {
    return manifestFault('manifest_malformed', 'the manifest is not a compact JWS');
  }
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws, createLocalJWKSet(keys), { algorithms: ['EdDSA'] });
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) {
      return manifestFault('key_not_found', `no key in the key set has the signing key's id ${kid ?? '(none given)'}: the wrong key set, or another signer`);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return manifestFault('signature_invalid', 'the signature does not match the manifest: it was changed after signing');
    }
    return manifestFault('signature_invalid', `the manifest cannot be verified: ${(error as Error).message}`);
  }
  if (verified.protectedHeader.typ !== EXPORT_MANIFEST_JWS_TYPE) {
    return manifestFault('manifest_malformed', `the JWS type is ${JSON.stringify(verified.protectedHeader.typ)}, not ${EXPORT_MANIFEST_JWS_TYPE}`);
  }
  let claims: ExportManifest | string;
  try {
    claims = manifestClaims(JSON.parse(new TextDecoder().decode(verified.payload)));
  } catch {
    claims = 'the claims are not JSON';
  }
  if (typeof claims === 'string') return manifestFault('manifest_malformed', claims);
  return { manifest: claims, kid };
}
