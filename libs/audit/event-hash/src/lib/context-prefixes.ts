/** Namespace prefixes a document's @context declares beyond the standard EPCIS context, e.g. { example: 'http://ns.example.com/epcis/' } */
export type ContextPrefixes = Readonly<Record<string, string>>;

const hasOwn = Object.prototype.hasOwnProperty;

/** Extracts the prefix map from a JSON-LD @context value (string | object | array of them); the standard EPCIS context URL contributes nothing. */
export function contextPrefixes(context: unknown): ContextPrefixes {
  const out: Record<string, string> = {};
  addContextPrefixes(context, out);
  return out;
}

function addContextPrefixes(context: unknown, out: Record<string, string>): void {
  if (Array.isArray(context)) {
    for (const c of context) addContextPrefixes(c, out);
  } else if (context !== null && typeof context === 'object') {
    const obj = context as Record<string, unknown>;
    for (const key in obj) {
      if (!hasOwn.call(obj, key) || key.charCodeAt(0) === 64 /* @ */ || key === '__proto__') continue;
      const value = obj[key];
      if (typeof value === 'string') out[key] = value;
    }
  }
  // A string is a remote context (the standard EPCIS context, or one that cannot be resolved here): no prefixes.
}

/** The namespace a declared prefix stands for (own keys only, so "constructor" is no prefix). */
export function prefixIri(prefixes: ContextPrefixes, prefix: string): string | undefined {
  return hasOwn.call(prefixes, prefix) ? prefixes[prefix] : undefined;
}
