const LINK_VALUE = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
const REL_PARAM = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))/i;

/**
 * The target of the `rel="next"` link in an RFC 8288 `Link` header, as
 * written (often relative), or null when there is none. `rel` may hold several
 * space-separated relation types.
 */
export function nextLinkTarget(header: string | null): string | null {
  if (!header) return null;
  for (const match of header.matchAll(LINK_VALUE)) {
    const rel = REL_PARAM.exec(match[2] ?? '');
    const types = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (types.includes('next')) return match[1] as string;
  }
  return null;
}
