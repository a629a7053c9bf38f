// The event as a tree of (name, text, children), the same shape the reference algorithm works on: keys with a
// declared prefix become "{namespace}name", scalars become Python's str() of them, bare words become their IRI.
import { canonicalNumberText } from './canonical-number';
import { EXCLUDED_EVENT_FIELDS } from './cbv-vocabulary';
import { type ContextPrefixes, prefixIri } from './context-prefixes';

const hasOwn = Object.prototype.hasOwnProperty;

export interface HNode {
  readonly k: 0;
  name: string;
  value: string;
  children: Item[];
}
/** A bizTransaction/source/destination element: its (type, value) nodes, in that order. */
export interface HPair {
  readonly k: 1;
  readonly nodes: HNode[];
}
export type Item = HNode | HPair;

export interface State {
  readonly prefixes: ContextPrefixes;
  readonly hasPrefixes: boolean;
  /** Expanded CBV / GS1 web-vocabulary IRIs found in the event (a set; small). */
  readonly expanded: string[];
}

export function hasAnyKey(obj: object): boolean {
  for (const key in obj) if (hasOwn.call(obj, key)) return true;
  return false;
}

export const EXCLUDED_TOP: ReadonlySet<string> = new Set(EXCLUDED_EVENT_FIELDS);
const DROPPED_FIELDS: ReadonlySet<string> = new Set(['#text', 'rdfs:comment', 'comment']);
export const PAIR_LISTS: ReadonlySet<string> = new Set(['bizTransactionList', 'sourceList', 'destinationList']);

/** Children of a JSON object: one node per key, one node per item for array values. */
export function buildChildren(obj: Readonly<Record<string, unknown>>, st: State, top: boolean): Item[] {
  const out: Item[] = [];
  for (const key in obj) {
    if (!hasOwn.call(obj, key) || DROPPED_FIELDS.has(key)) continue;
    if (key.charCodeAt(0) === 64 /* @ */ && ((top && key === '@context') || key.startsWith('@xmlns'))) continue;
    const val = obj[key];
    if (val === undefined) continue;
    const name = st.hasPrefixes ? keyName(key, st.prefixes) : key;
    if (Array.isArray(val)) {
      for (const item of val) if (item !== undefined) out.push(makeNode(name, item, st));
    } else {
      out.push(makeNode(name, val, st));
    }
  }
  return out;
}

function makeNode(name: string, val: unknown, st: State): HNode {
  if (Array.isArray(val)) {
    const children: Item[] = [];
    for (const item of val) if (item !== undefined) children.push(makeNode(defaultName(item, st), item, st));
    return { k: 0, name, value: '', children };
  }
  if (val !== null && typeof val === 'object') {
    const obj = val as Record<string, unknown>;
    const text = obj['#text'];
    return {
      k: 0,
      name,
      value: typeof text === 'string' ? bare(text, st) : '',
      children: buildChildren(obj, st, false),
    };
  }
  return { k: 0, name, value: leafText(val, st), children: [] };
}

/** Name of an array item inside an array (only nested arrays keep it): its "type", else empty. */
function defaultName(item: unknown, st: State): string {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return '';
  const t = (item as Record<string, unknown>)['type'];
  return t === undefined ? '' : typeof t === 'string' ? bare(t, st) : leafText(t, st);
}

/** Text of a scalar, as Python's str() of the JSON value (after prefix expansion for strings). */
export function leafText(val: unknown, st: State): string {
  switch (typeof val) {
    case 'string': {
      const s = bare(val, st);
      return st.hasPrefixes ? valuePrefix(s, st.prefixes) : s;
    }
    case 'number':
      return canonicalNumberText(val);
    case 'boolean':
      return val ? 'True' : 'False';
    case 'bigint':
      return val.toString();
    default:
      return val === null ? 'None' : String(val);
  }
}

/** "ex:name" -> "{namespace}name" when ex is a declared prefix. */
function keyName(key: string, prefixes: ContextPrefixes): string {
  const i = key.indexOf(':');
  if (i < 0) return key;
  const ns = prefixIri(prefixes, key.slice(0, i));
  return ns === undefined ? key : '{' + ns + '}' + key.slice(i + 1);
}

/** "ex:value" -> "namespace" + "value" when ex is a declared prefix. */
function valuePrefix(value: string, prefixes: ContextPrefixes): string {
  const i = value.indexOf(':');
  if (i < 0) return value;
  const ns = prefixIri(prefixes, value.slice(0, i));
  if (ns === undefined) return value;
  return (ns.includes('{') || ns.includes('}') ? ns.replace(/[{}]/g, '') : ns) + value.slice(i + 1);
}

/** A bare string that is the last segment of exactly one expanded CBV/GS1 IRI of the event becomes that IRI. */
export function bare(value: string, st: State): string {
  const expanded = st.expanded;
  let match: string | undefined;
  for (let i = 0; i < expanded.length; i++) {
    const iri = expanded[i] as string;
    const at = iri.length - value.length - 1;
    if (at < 0 || !iri.endsWith(value)) continue;
    const sep = iri.charCodeAt(at);
    if (sep !== 45 /* - */ && sep !== 47 /* / */) continue;
    if (match !== undefined) return value; // ambiguous
    match = iri;
  }
  return match ?? value;
}
