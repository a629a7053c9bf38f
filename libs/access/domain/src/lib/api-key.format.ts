/**
 * An API key as callers hold it: `m2m_<id>_<secret>`. The recognisable prefix
 * lets secret scanners find leaked keys; the id lets the service find the
 * record without searching by secret; the secret is 32 random bytes in
 * unpadded base64url (43 characters).
 */
export const API_KEY_PREFIX = 'm2m_';
export const API_KEY_ID_PATTERN = '^[0-9a-f]{24}$';

const KEY = /^m2m_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export const formatApiKey = (apiKeyId: string, secret: string): string => `${API_KEY_PREFIX}${apiKeyId}_${secret}`;

/** The id and secret of a presented key, or null when it is not in the format (the admin key, say). */
export function parseApiKey(presented: string): { readonly apiKeyId: string; readonly secret: string } | null {
  const match = KEY.exec(presented);
  return match ? { apiKeyId: match[1] as string, secret: match[2] as string } : null;
}
