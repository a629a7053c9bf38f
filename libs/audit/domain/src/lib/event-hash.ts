/**
 * GS1 CBV 2.0 event hash ID ("ni:///sha-256;<hex>?ver=CBV2.0") for EPCIS 2.0 events in JSON-LD form.
 *
 * The canonical pre-hash string is built exactly as the public reference implementation of the
 * algorithm (github RalphTro/epcis-event-hash-generator, which defines the GS1 test vectors) builds it
 * for JSON-LD input, including its quirks:
 *  - CBV bare words (bizStep "shipping", sensor type "Temperature", ...) are expanded to their web-vocabulary
 *    IRIs; like the reference, every other string of the event that is the last segment ("-x" or "/x") of
 *    exactly one such expanded IRI is expanded too;
 *  - EPC URNs / GS1 Digital Link URIs become canonical https://id.gs1.org/... URIs, old CBV URNs become
 *    web-vocabulary IRIs, time stamps become UTC with millisecond precision (half-even rounding);
 *  - numeric-looking strings are reformatted through a double ("007" -> "7", "1.50" -> "1.5");
 *  - bizTransactionList/sourceList/destinationList come after sensorElementList, sorted by their text
 *    (so destinationList before sourceList);
 *  - user extensions ("{namespace}name") are appended after the standard fields of their element, sorted.
 *
 * The bare-word lookup above is per event (the reference looks across the whole document, so there an event's
 * hash can depend on its sibling events); all reference vectors are per-event-stable and pass.
 *
 * Deliberate differences from the reference, for inputs on which it fails or depends on key order:
 *  - a bizTransaction/source/destination element is always read as (type, value), whatever the key order;
 *  - an element without a type is hashed with its value alone (the reference crashes);
 *  - a time stamp whose milliseconds round up to 1000 carries into the next second (the reference crashes);
 *  - "Infinity"-like numeric strings are kept as text (the reference crashes);
 *  - an event-level "@context" is not hashed; its prefixes are used (merged over `prefixes`).
 * Document-level features of the reference tool (e.g. its "ignoreFields" list) are the caller's business:
 * pass the event without those fields.
 *
 * Pure module: no I/O, no framework; only node:crypto for SHA-256.
 */
import { createHash } from 'node:crypto';

import {
  BIZ_STEPS,
  BIZ_TRANSACTION_TYPES,
  CBV_NS,
  CBV_URN_REWRITES,
  DISPOSITIONS,
  ERROR_REASONS,
  EXCLUDED_EVENT_FIELDS,
  GS1_VOC_NS,
  ID_TERMS,
  LITERAL_TERMS,
  MEASUREMENT_TYPES,
  PROPERTY_ORDER,
  type PropertyOrder,
  SENSOR_COMPONENTS,
  SENSOR_ELEMENT_ID_TERMS,
  SENSOR_ELEMENT_LITERAL_TERMS,
  SENSOR_EXCEPTIONS,
  SENSOR_METADATA_ID_TERMS,
  SENSOR_METADATA_LITERAL_TERMS,
  SENSOR_REPORT_ID_TERMS,
  SENSOR_REPORT_LITERAL_TERMS,
  SOURCE_DESTINATION_TYPES,
  STANDARD_PREFIXES,
} from './event-hash.vocabulary';

/** Namespace prefixes a document's @context declares beyond the standard EPCIS context, e.g. { example: 'http://ns.example.com/epcis/' } */
export type ContextPrefixes = Readonly<Record<string, string>>;

const EMPTY_PREFIXES: ContextPrefixes = Object.freeze({});
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

/** The canonical pre-hash string of one EPCIS event (JSON-LD form), exactly as the CBV 2.0 algorithm defines it. */
export function eventHashPreimage(event: Readonly<Record<string, unknown>>, prefixes?: ContextPrefixes): string {
  let pfx = prefixes ?? EMPTY_PREFIXES;
  const own = event['@context'];
  if (own !== undefined) pfx = { ...pfx, ...contextPrefixes(own) };

  const st: State = { prefixes: pfx, hasPrefixes: hasAnyKey(pfx), expanded: [] };
  collectExpanded(event, TOP_SCOPE, st);

  const typeValue = event['type'];
  const root: HNode = {
    k: 0,
    name: typeValue === undefined ? '' : typeof typeValue === 'string' ? bare(typeValue, st) : leafText(typeValue, st),
    value: '',
    children: buildChildren(event, st, true),
  };
  correctStructure(root);

  const kids = root.children;
  let out = 'eventType=' + root.name + orderedText(kids, TOP_ORDER);
  const rest: Item[] = [];
  for (const c of kids) if (c.k === 1 || !EXCLUDED_TOP.has(c.name)) rest.push(c);
  if (rest.length > 0) out += genericText(rest);
  return out;
}

/** 'ni:///sha-256;<hex>?ver=CBV2.0' */
export function computeEventHashId(event: Readonly<Record<string, unknown>>, prefixes?: ContextPrefixes): string {
  const digest = createHash('sha256').update(eventHashPreimage(event, prefixes), 'utf8').digest('hex');
  return 'ni:///sha-256;' + digest + '?ver=CBV2.0';
}

// ---------------------------------------------------------------------------------------------------------------
// Data model: the event as a tree of (name, text, children), the same shape the reference algorithm works on.
// ---------------------------------------------------------------------------------------------------------------

interface HNode {
  readonly k: 0;
  name: string;
  value: string;
  children: Item[];
}
/** A bizTransaction/source/destination element: its (type, value) nodes, in that order. */
interface HPair {
  readonly k: 1;
  readonly nodes: HNode[];
}
type Item = HNode | HPair;

interface State {
  readonly prefixes: ContextPrefixes;
  readonly hasPrefixes: boolean;
  /** Expanded CBV / GS1 web-vocabulary IRIs found in the event (a set; small). */
  readonly expanded: string[];
}

function hasAnyKey(obj: object): boolean {
  for (const key in obj) if (hasOwn.call(obj, key)) return true;
  return false;
}

function prefixIri(prefixes: ContextPrefixes, prefix: string): string | undefined {
  return hasOwn.call(prefixes, prefix) ? prefixes[prefix] : undefined;
}

const EXCLUDED_TOP: ReadonlySet<string> = new Set(EXCLUDED_EVENT_FIELDS);
const DROPPED_FIELDS: ReadonlySet<string> = new Set(['#text', 'rdfs:comment', 'comment']);
const PAIR_LISTS: ReadonlySet<string> = new Set(['bizTransactionList', 'sourceList', 'destinationList']);

/** Children of a JSON object: one node per key, one node per item for array values. */
function buildChildren(obj: Readonly<Record<string, unknown>>, st: State, top: boolean): Item[] {
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
function leafText(val: unknown, st: State): string {
  switch (typeof val) {
    case 'string': {
      const s = bare(val, st);
      return st.hasPrefixes ? valuePrefix(s, st.prefixes) : s;
    }
    case 'number':
      return numberText(val);
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
function bare(value: string, st: State): string {
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

// ---------------------------------------------------------------------------------------------------------------
// Expansion of CBV bare words (the part of JSON-LD expansion that matters for the hash).
// ---------------------------------------------------------------------------------------------------------------

const K_ID = 0;
const K_TYPE = 1;
const K_VOCAB = 2;
const K_LITERAL = 3;

interface TermDef {
  readonly kind: number;
  readonly table?: ReadonlyMap<string, string>;
  /** Property-scoped context that applies to the value (and below). */
  readonly scope?: Scope;
}
interface Scope {
  readonly terms: ReadonlyMap<string, TermDef>;
  /** Terms usable in vocabulary-relative expansion whose IRI is a CBV/GS1 web-vocabulary IRI. */
  readonly vocabTerms: ReadonlyMap<string, string>;
}

const ID_DEF: TermDef = { kind: K_ID };
const TYPE_DEF: TermDef = { kind: K_TYPE };
const LITERAL_DEF: TermDef = { kind: K_LITERAL };

function table(words: readonly string[], ns: string): ReadonlyMap<string, string> {
  return new Map(words.map((w) => [w, ns + w] as const));
}
const DISPOSITION_TABLE = table(DISPOSITIONS, CBV_NS + 'Disp-');

function scope(parent: Scope | null, defs: Iterable<readonly [string, TermDef]>, vocabTerms?: ReadonlyMap<string, string>): Scope {
  const terms = new Map(parent?.terms);
  for (const [name, def] of defs) terms.set(name, def);
  const vocab = new Map(parent?.vocabTerms);
  if (vocabTerms) for (const [t, iri] of vocabTerms) vocab.set(t, iri);
  return { terms, vocabTerms: vocab };
}
const each = (names: readonly string[], def: TermDef): (readonly [string, TermDef])[] => names.map((n) => [n, def] as const);

const TOP_SCOPE: Scope = (() => {
  const top = scope(
    null,
    [
      ...each(ID_TERMS, ID_DEF),
      ...each(LITERAL_TERMS, LITERAL_DEF),
      ['type', TYPE_DEF],
      ['bizStep', { kind: K_VOCAB, table: table(BIZ_STEPS, CBV_NS + 'BizStep-') }],
      ['disposition', { kind: K_VOCAB, table: DISPOSITION_TABLE }],
    ],
    new Map([
      ['cbv', CBV_NS],
      ['gs1', GS1_VOC_NS],
    ]),
  );
  const sdType: TermDef = { kind: K_VOCAB, table: table(SOURCE_DESTINATION_TYPES, CBV_NS + 'SDT-') };
  const sourceScope = scope(top, [['source', ID_DEF], ['destination', ID_DEF], ['type', sdType]]);
  const bizTxScope = scope(top, [
    ['bizTransaction', ID_DEF],
    ['type', { kind: K_VOCAB, table: table(BIZ_TRANSACTION_TYPES, CBV_NS + 'BTT-') }],
  ]);
  const pdVocab: TermDef = { kind: K_VOCAB, table: DISPOSITION_TABLE };
  const pdScope = scope(top, [['set', pdVocab], ['unset', pdVocab]], DISPOSITION_TABLE);
  const seScope = scope(top, [
    ...each(SENSOR_ELEMENT_ID_TERMS, ID_DEF),
    ...each(SENSOR_ELEMENT_LITERAL_TERMS, LITERAL_DEF),
    ['type', TYPE_DEF],
  ]);
  const smScope = scope(seScope, [...each(SENSOR_METADATA_ID_TERMS, ID_DEF), ...each(SENSOR_METADATA_LITERAL_TERMS, LITERAL_DEF)]);
  const srScope = scope(seScope, [
    ...each(SENSOR_REPORT_ID_TERMS, ID_DEF),
    ...each(SENSOR_REPORT_LITERAL_TERMS, LITERAL_DEF),
    ['type', { kind: K_VOCAB, table: table(MEASUREMENT_TYPES, GS1_VOC_NS) }],
    ['exception', { kind: K_VOCAB, table: table(SENSOR_EXCEPTIONS, GS1_VOC_NS) }],
    ['component', { kind: K_VOCAB, table: table(SENSOR_COMPONENTS, CBV_NS + 'Comp-') }],
  ]);
  const seWithChildren = scope(seScope, [
    ['sensorMetadata', { kind: K_LITERAL, scope: smScope }],
    ['sensorReport', { kind: K_LITERAL, scope: srScope }],
  ]);
  const edScope = scope(top, [
    ['reason', { kind: K_VOCAB, table: table(ERROR_REASONS, CBV_NS + 'ER-') }],
    ['correctiveEventIDs', ID_DEF],
    ['declarationTime', LITERAL_DEF],
  ]);
  const terms = top.terms as Map<string, TermDef>;
  terms.set('sourceList', { kind: K_LITERAL, scope: sourceScope });
  terms.set('destinationList', { kind: K_LITERAL, scope: sourceScope });
  terms.set('bizTransactionList', { kind: K_LITERAL, scope: bizTxScope });
  terms.set('persistentDisposition', { kind: K_LITERAL, scope: pdScope });
  terms.set('sensorElementList', { kind: K_LITERAL, scope: seWithChildren });
  terms.set('errorDeclaration', { kind: K_LITERAL, scope: edScope });
  return top;
})();

const STD_PREFIXES: ReadonlyMap<string, string> = new Map(Object.entries(STANDARD_PREFIXES));

function isWebVocabulary(iri: string): boolean {
  return iri.startsWith('https://ref.gs1.org/cbv') || iri.startsWith('https://gs1.org/voc');
}

/** Walks the event like JSON-LD expansion would and records the CBV/GS1 web-vocabulary IRIs it yields. */
function collectExpanded(obj: Readonly<Record<string, unknown>>, sc: Scope, st: State): void {
  for (const key in obj) {
    if (!hasOwn.call(obj, key)) continue;
    let def = sc.terms.get(key);
    if (def === undefined) {
      if (key.charCodeAt(0) === 64 /* @ */) {
        if (key === '@context') continue;
        def = key === '@id' ? ID_DEF : key === '@type' ? TYPE_DEF : LITERAL_DEF;
      } else if (key.includes(':')) {
        def = LITERAL_DEF; // compact or absolute IRI: kept by JSON-LD
      } else {
        continue; // undefined term: dropped by JSON-LD expansion
      }
    }
    collectValue(obj[key], def, def.scope ?? sc, st);
  }
}

function collectValue(val: unknown, def: TermDef, sc: Scope, st: State): void {
  if (typeof val === 'string') {
    const iri = expandString(val, def, sc, st.prefixes);
    if (isWebVocabulary(iri) && !st.expanded.includes(iri)) st.expanded.push(iri);
  } else if (Array.isArray(val)) {
    for (const item of val) collectValue(item, def, sc, st);
  } else if (val !== null && typeof val === 'object') {
    collectExpanded(val as Record<string, unknown>, sc, st);
  }
}

function expandString(val: string, def: TermDef, sc: Scope, prefixes: ContextPrefixes): string {
  switch (def.kind) {
    case K_LITERAL:
      return val;
    case K_ID:
      return expandIri(val, false, sc, prefixes);
    case K_VOCAB:
      return def.table?.get(val) ?? expandIri(val, true, sc, prefixes);
    default:
      return expandIri(val, true, sc, prefixes);
  }
}

function expandIri(val: string, vocab: boolean, sc: Scope, prefixes: ContextPrefixes): string {
  if (vocab) {
    const term = sc.vocabTerms.get(val) ?? prefixIri(prefixes, val);
    if (term !== undefined) return term;
  }
  const i = val.indexOf(':');
  if (i <= 0 || val.startsWith('//', i + 1)) return val;
  const prefix = val.slice(0, i);
  const ns = STD_PREFIXES.get(prefix) ?? prefixIri(prefixes, prefix);
  return ns === undefined ? val : ns + val.slice(i + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Structure corrections (JSON-LD lists -> the XML data model the algorithm is defined on).
// ---------------------------------------------------------------------------------------------------------------

function correctStructure(node: HNode): void {
  const kids = node.children;
  let rest: Item[] = kids;
  let lists: Map<string, HNode[]> | null = null;
  for (const e of kids) {
    if (!(e as HNode).name.endsWith('List')) continue;
    lists = new Map();
    break;
  }
  if (lists !== null) {
    // every "xxxList" child becomes one "xxxList" node whose children are its items, named "xxx"
    rest = [];
    for (const e of kids) {
      const name = (e as HNode).name;
      if (!name.endsWith('List')) {
        rest.push(e);
        continue;
      }
      let group = lists.get(name);
      if (group === undefined) lists.set(name, (group = []));
      group.push(e as HNode);
    }
    for (const [listName, elements] of lists) {
      const itemName = listName.slice(0, -4);
      if (PAIR_LISTS.has(listName)) {
        rest.push({ k: 0, name: listName, value: '', children: elements.map((e) => toPair(e, itemName)) });
      } else {
        for (const e of elements) e.name = itemName;
        rest.push({ k: 0, name: listName, value: '', children: elements });
      }
    }
  }
  // childEPCs: [a, b] -> childEPCs: [epc a, epc b]
  let epcs: HNode[] | null = null;
  for (const e of rest) if ((e as HNode).name === 'childEPCs') (epcs ??= []).push({ k: 0, name: 'epc', value: (e as HNode).value, children: [] });
  if (epcs !== null) {
    rest = rest.filter((e) => (e as HNode).name !== 'childEPCs');
    rest.push({ k: 0, name: 'childEPCs', value: '', children: epcs });
  }
  node.children = rest;
  for (const e of rest) if (e.k === 0 && !PAIR_LISTS.has(e.name)) correctStructure(e);

  switch (node.name) {
    case 'inputEPC':
    case 'outputEPC':
      node.name = 'epc';
      break;
    case 'inputQuantity':
    case 'outputQuantity':
    case 'childQuantity':
      node.name = 'quantityElement';
      break;
    case 'quantity':
      if (node.children.length > 0) node.name = 'quantityElement';
      break;
  }
}

function toPair(element: HNode, valueName: string): HPair {
  const kids = element.children as HNode[];
  let type: HNode | undefined;
  let value: HNode | undefined;
  for (const c of kids) {
    if (c.name === 'type') type ??= c;
    else if (c.name === valueName) value ??= c;
  }
  if (value !== undefined) return { k: 1, nodes: type === undefined ? [value] : [type, value] };
  if (kids.length === 0) return { k: 1, nodes: [{ k: 0, name: valueName, value: element.value, children: [] }] };
  return { k: 1, nodes: kids.slice(0, 2) };
}

// ---------------------------------------------------------------------------------------------------------------
// Pre-hash string.
// ---------------------------------------------------------------------------------------------------------------

interface OrderEntry {
  readonly name: string;
  readonly sub: CompiledOrder | null;
  readonly isTime: boolean;
}
interface CompiledOrder {
  readonly entries: readonly OrderEntry[];
  readonly index: ReadonlyMap<string, number>;
}

function compileOrder(order: PropertyOrder): CompiledOrder {
  const entries = order.map(([name, sub]): OrderEntry => {
    const lower = name.toLowerCase();
    return { name, sub: sub === null ? null : compileOrder(sub), isTime: lower.includes('time') && !lower.includes('offset') };
  });
  return { entries, index: new Map(entries.map((e, i) => [e.name, i] as const)) };
}
const TOP_ORDER = compileOrder(PROPERTY_ORDER);

/**
 * The children named in `order`, in that order (same-named ones sorted by their text), then the user
 * extensions of this element. Consumed children without remaining grandchildren are removed from `list`;
 * whatever stays is emitted later by the generic tail.
 */
function orderedText(list: Item[], order: CompiledOrder): string {
  const extensions = takeExtensions(list);
  let buckets: (HNode[] | undefined)[] | null = null;
  for (const c of list) {
    if (c.k !== 0) continue;
    const idx = order.index.get(c.name);
    if (idx === undefined) continue;
    buckets ??= new Array<HNode[] | undefined>(order.entries.length);
    const b = buckets[idx];
    if (b === undefined) buckets[idx] = [c];
    else b.push(c);
  }
  let out = '';
  if (buckets !== null) {
    let consumed = false;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      if (b === undefined) continue;
      const entry = order.entries[i] as OrderEntry;
      if (b.length === 1) {
        out += childText(b[0] as HNode, entry);
      } else {
        const texts: string[] = [];
        for (const c of b) {
          const t = childText(c, entry);
          if (t !== '') texts.push(t);
        }
        texts.sort(comparePy);
        out += texts.join('');
      }
      for (const c of b) if (c.children.length === 0) consumed = true;
    }
    if (consumed) {
      let w = 0;
      for (let r = 0; r < list.length; r++) {
        const c = list[r] as Item;
        if (c.k === 0 && c.children.length === 0 && order.index.has(c.name)) continue;
        list[w++] = c;
      }
      list.length = w;
    }
  }
  if (extensions !== null) out += genericText(extensions);
  return out;
}

function childText(node: HNode, entry: OrderEntry): string {
  const grand = entry.sub === null ? '' : orderedText(node.children, entry.sub);
  let text = '';
  if (node.value !== '') {
    const v = pyStrip(node.value);
    const canon = entry.isTime ? canonicalTimestamp(v) : canonicalValue(v);
    if (canon !== '') text = '=' + canon;
  }
  return text !== '' || grand !== '' ? node.name + text + grand : '';
}

/** User extensions ("{namespace/}name") of a nested element, removed from `list`. */
function takeExtensions(list: Item[]): HNode[] | null {
  if (list.length <= 1) return null;
  let found = false;
  for (const c of list) {
    if (c.k !== 0) continue;
    if (c.name.includes('eventTime') || c.name.includes('action')) return null;
    if (!found && isExtensionName(c.name)) found = true;
  }
  if (!found) return null;
  const extensions: HNode[] = [];
  let w = 0;
  for (let r = 0; r < list.length; r++) {
    const c = list[r] as Item;
    if (c.k === 0 && isExtensionName(c.name)) extensions.push(c);
    else list[w++] = c;
  }
  list.length = w;
  return extensions;
}

function isExtensionName(name: string): boolean {
  return name.includes('{') && name.includes('/}');
}

/** Everything else: name=value then children, siblings sorted by their text (pairs keep type before value). */
function genericText(items: readonly Item[]): string {
  if (items.length === 1) return itemText(items[0] as Item);
  const texts: string[] = new Array<string>(items.length);
  let sort = true;
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as Item;
    texts[i] = itemText(it);
    if (it.k === 0 && (it.name === 'bizTransaction' || it.name === 'source' || it.name === 'destination')) sort = false;
  }
  if (sort) texts.sort(comparePy);
  return texts.join('');
}

function itemText(it: Item): string {
  if (it.k === 1) return genericText(it.nodes);
  let out = it.name;
  const v = it.value === '' ? '' : pyStrip(it.value);
  if (v !== '') out += '=' + canonicalValue(v);
  if (it.children.length > 0) out += genericText(it.children);
  return out;
}

/** Python's code point order (JS compares UTF-16 code units). */
function comparePy(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function isPySpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** Python's str.strip(). */
function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

// ---------------------------------------------------------------------------------------------------------------
// Value canonicalisation.
// ---------------------------------------------------------------------------------------------------------------

function canonicalValue(text: string): string {
  if (text.includes('urn:epcglobal:cbv:')) {
    for (const [urn, web] of CBV_URN_REWRITES) text = text.replaceAll(urn, web);
  }
  text = numericText(text);
  return normaliseGs1Uri(text) ?? text;
}

// Python float() syntax (underscores between digits allowed).
const DIGITS = '[0-9](?:_?[0-9])*';
const PY_FLOAT = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);

/** Numbers are reformatted as Python's str(float(text)), integral values without ".0". */
function numericText(text: string): string {
  const c = text.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return text; // 0-9 + - .
  if (!PY_FLOAT.test(text)) return text;
  const n = Number(text.includes('_') ? text.replaceAll('_', '') : text);
  return Number.isFinite(n) ? numberText(n) : text;
}

/** Python's str() of a float, or of int(x) when x is integral. */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n)) return Number.isSafeInteger(n) ? String(n === 0 ? 0 : n) : BigInt(n).toString();
  const exp = n.toExponential(); // shortest round-trip digits, like Python's repr
  const neg = exp.charCodeAt(0) === 45;
  const ePos = exp.indexOf('e');
  const mantissa = exp.slice(neg ? 1 : 0, ePos);
  const e10 = Number(exp.slice(ePos + 1));
  const digits = mantissa.length > 1 ? mantissa.charAt(0) + mantissa.slice(2) : mantissa;
  const point = e10 + 1;
  let body: string;
  if (point > 16 || point < -3) {
    const abs = e10 < 0 ? -e10 : e10;
    body = mantissa + 'e' + (e10 < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + abs;
  } else if (point <= 0) {
    body = '0.' + '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    body = digits + '0'.repeat(point - digits.length) + '.0';
  } else {
    body = digits.slice(0, point) + '.' + digits.slice(point);
  }
  return neg ? '-' + body : body;
}

// ISO 8601 date-time as dateutil parses it in practice; anything else is left as it is.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?\s*(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** UTC, millisecond precision (microseconds rounded half-even), "Z" suffix. */
function canonicalTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (m === null) return text;
  const year = +(m[1] as string);
  const month = +(m[2] as string);
  const day = +(m[3] as string);
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  const micros = m[7] === undefined ? 0 : +(m[7].length >= 6 ? m[7].slice(0, 6) : m[7].padEnd(6, '0'));
  let offset = 0;
  if (m[9] !== undefined) {
    const oh = +(m[10] as string);
    const om = m[11] === undefined ? 0 : +m[11];
    if (oh > 23 || om > 59) return text;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return text;
  if (hour > 23 || minute > 59 || second > 59) return text;

  let millis = Math.floor(micros / 1000);
  const rem = micros % 1000;
  if (rem > 500 || (rem === 500 && millis % 2 === 1)) millis++;

  const dayMs = 86_400_000;
  const total = daysFromCivil(year, month, day) * dayMs + ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis;
  const days = Math.floor(total / dayMs);
  let t = total - days * dayMs;
  const ms = t % 1000;
  t = (t - ms) / 1000;
  const s = t % 60;
  t = (t - s) / 60;
  const mi = t % 60;
  const h = (t - mi) / 60;
  return civilDate(days) + 'T' + pad2(h) + ':' + pad2(mi) + ':' + pad2(s) + '.' + String(ms).padStart(3, '0') + 'Z';
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** "YYYY-MM-DD" of a day count since 1970-01-01. */
function civilDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return String(y).padStart(4, '0') + '-' + pad2(m) + '-' + pad2(d);
}

// ---------------------------------------------------------------------------------------------------------------
// GS1 identifiers: EPC URI / EPC class / EPC pattern / GS1 Digital Link -> canonical https://id.gs1.org/... URI
// (constrained: lowest identification level, no CPV, no query string). null = not a GS1 key.
// ---------------------------------------------------------------------------------------------------------------

const GS3A3 = "(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])";
const CPI_CHAR = '(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])';
/** Company prefix (6..12 digits) '.' reference, the two together 13 digits long. */
const GCP13 = '(?:\\d{6}\\.\\d{7}|\\d{7}\\.\\d{6}|\\d{8}\\.\\d{5}|\\d{9}\\.\\d{4}|\\d{10}\\.\\d{3}|\\d{11}\\.\\d{2}|\\d{12}\\.\\d{1})';
/** ... 12 digits long (the reference may be empty). */
const GCP12 = '(?:\\d{6}\\.\\d{6}|\\d{7}\\.\\d{5}|\\d{8}\\.\\d{4}|\\d{9}\\.\\d{3}|\\d{10}\\.\\d{2}|\\d{11}\\.\\d{1}|\\d{12}\\.)';
/** ... 12 digits long, a 12-digit company prefix followed by two dots (GRAI, GDTI as in the reference). */
const GCP12DD = '(?:\\d{6}\\.\\d{6}|\\d{7}\\.\\d{5}|\\d{8}\\.\\d{4}|\\d{9}\\.\\d{3}|\\d{10}\\.\\d{2}|\\d{11}\\.\\d{1}|\\d{12}\\.\\.)';
/** Company prefix + '.' + reference made of `chars`, `total` characters together without the dot. */
const varRef = (chars: string, total: number): string =>
  '(?:' + [6, 7, 8, 9, 10, 11, 12].map((p) => `\\d{${p}}\\.${chars}{1,${total - p}}`).join('|') + ')';
/** Company prefix + '.' + fixed-length digit reference, `total` digits together. */
const fixedRef = (total: number): string =>
  '(?:' + [6, 7, 8, 9, 10, 11, 12].map((p) => `\\d{${p}}\\.\\d{${total - p}}`).join('|') + ')';

const re = (source: string): RegExp => new RegExp('^(?:' + source + ')$');

const EPC = {
  sgtin: re(`urn:epc:id:sgtin:${GCP13}\\.${GS3A3}{1,20}`),
  sscc: re(`urn:epc:id:sscc:${fixedRef(17)}`),
  sgln: re(`urn:epc:id:sgln:${GCP12}\\.${GS3A3}{1,20}`),
  grai: re(`urn:epc:id:grai:${GCP12DD}\\.${GS3A3}{1,16}`),
  giai: re(`urn:epc:id:giai:${varRef(GS3A3, 30)}`),
  gsrn: re(`urn:epc:id:gsrn:${fixedRef(17)}`),
  gsrnp: re(`urn:epc:id:gsrnp:${fixedRef(17)}`),
  gdti: re(`urn:epc:id:gdti:${GCP12DD}${GS3A3}{1,20}`),
  cpi: re(`urn:epc:id:cpi:${varRef(CPI_CHAR, 30)}\\.\\d{1,12}`),
  sgcn: re(`urn:epc:id:sgcn:${GCP12}\\.\\d{1,12}`),
  ginc: re(`urn:epc:id:ginc:${varRef(GS3A3, 30)}`),
  gsin: re(`urn:epc:id:gsin:${fixedRef(16)}`),
  itip: re(`urn:epc:id:itip:${GCP13}\\.\\d{2}\\.\\d{2}\\.${GS3A3}{1,20}`),
  upui: re(`urn:epc:id:upui:${GCP13}\\.${GS3A3}{1,28}`),
  pgln: re(`urn:epc:id:pgln:${GCP12}`),
  lgtin: re(`urn:epc:class:lgtin:${GCP13}\\.${GS3A3}{1,20}`),
  patSgtin: re(`urn:epc:idpat:sgtin:${GCP13}\\.\\*`),
  patGrai: re(`urn:epc:idpat:grai:${GCP12DD}\\.\\*`),
  patGdti: re(`urn:epc:idpat:gdti:${GCP12DD}\\.\\*`),
  patSgcn: re(`urn:epc:idpat:sgcn:${GCP12DD}\\.\\*`),
  patCpi: re(`urn:epc:idpat:cpi:${varRef(CPI_CHAR, 30)}\\.\\*`),
  patItip: re(`urn:epc:idpat:itip:${GCP13}\\.\\d{2}\\.\\d{2}\\.\\*`),
  patUpui: re(`urn:epc:idpat:upui:${GCP13}\\.\\*`),
} as const;

const DL_PRIMARY_KEYS = '01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai';
const DL_URI = new RegExp(
  '^https?:(?://(?:(?:[^/?#]*)@)?[^/?#:]*(?::[^/?#]*)?)?(?:[^?#]*/(?:' +
    DL_PRIMARY_KEYS +
    ')/\\d{4}[^/]+(?:/[^/]+/[^/]+)?/?(?:\\?[^?\\n]*)?(?:#[^\\n]*)?|/[A-Za-z_-]{10}$)',
);
const DL_CANONICAL_HOST = new RegExp(
  '^(?:https://id.gs1.org/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/\\d{4}[^/]+(?:/[^/]+/[^/]+)?/?(?:\\?[^?\\n]*)?(?:#[^\\n]*)?|/[A-Za-z_-]{10}$)',
);
const DL_KEY_SEGMENTS = ['/00/', '/01/', '/253/', '/255/', '/401/', '/402/', '/414/', '/417/', '/8003/', '/8004/', '/8006/', '/8010/', '/8017/', '/8018/'];
const DL_SHORT_NAMES: readonly (readonly [string, string])[] = [
  ['/gtin/', '/01/'], ['/itip/', '/8006/'], ['/cpid/', '/8010/'], ['/gln/', '/414/'], ['/party/', '/417/'],
  ['/gsrnp/', '/8017/'], ['/gsrn/', '/8018/'], ['/gcn/', '/255/'], ['/sscc/', '/00/'], ['/gdti/', '/253/'],
  ['/ginc/', '/401/'], ['/gsin/', '/402/'], ['/grai/', '/8003/'], ['/giai/', '/8004/'], ['/cpv/', '/22/'],
  ['/lot/', '/10/'], ['/ser/', '/21/'],
];
const CS = "[\\x22\\x27\\x2D\\x2E\\x30-\\x39\\x3B-\\x3F\\x41-\\x5A\\x5F\\x61-\\x7A]";
const CS_SLASH = "[\\x2F\\x22\\x27\\x2D\\x2E\\x30-\\x39\\x3B-\\x3F\\x41-\\x5A\\x5F\\x61-\\x7A]";
const DL = (source: string): RegExp => new RegExp('^' + source + '$');
const DL_CPV_LAST = [DL(`https://id.gs1.org/8006/\\d{18}/22/${CS}{0,20}`), DL(`https://id.gs1.org/01/\\d{14}/22/${CS}{0,20}`)];
const DL_CPV_INNER = [DL(`https://id.gs1.org/8006/\\d{18}/22/${CS_SLASH}{0,20}`), DL(`https://id.gs1.org/01/\\d{14}/22/${CS_SLASH}{0,20}`)];
const DL_LOT_AND_SERIAL = [
  DL(`https://id.gs1.org/8006/\\d{18}/10/${CS}{0,20}/21/${CS}{0,20}`),
  DL(`https://id.gs1.org/01/\\d{14}/10/${CS}{0,20}/21/${CS}{0,20}`),
];
const DL_VALID = DL(
  '(?:' +
    [
      'https://id.gs1.org/00/\\d{18}',
      `https://id.gs1.org/01/\\d{14}/21/${CS}{0,20}`,
      `https://id.gs1.org/01/\\d{14}/10/${CS}{0,20}`,
      'https://id.gs1.org/01/\\d{14}',
      `https://id.gs1.org/01/\\d{14}/235/${CS}{0,28}`,
      `https://id.gs1.org/253/\\d{13}${CS}{0,17}`,
      'https://id.gs1.org/255/\\d{13}\\d{0,12}',
      `https://id.gs1.org/401/${CS}{0,30}`,
      'https://id.gs1.org/402/\\d{17}',
      'https://id.gs1.org/414/\\d{13}',
      `https://id.gs1.org/414/\\d{13}/254/${CS}{0,20}`,
      'https://id.gs1.org/417/\\d{13}',
      `https://id.gs1.org/8003/\\d{14}${CS}{0,16}`,
      `https://id.gs1.org/8004/${CS}{0,30}`,
      `https://id.gs1.org/8006/\\d{18}/21/${CS}{0,20}`,
      `https://id.gs1.org/8006/\\d{18}/10/${CS}{0,20}`,
      'https://id.gs1.org/8006/\\d{18}',
      'https://id.gs1.org/8010/[\\x23\\x2D\\x2F\\x30-\\x39\\x41-\\x5A]{0,30}/8011/\\d{0,12}',
      'https://id.gs1.org/8010/[\\x23\\x2D\\x2F\\x30-\\x39\\x41-\\x5A]{0,30}',
      'https://id.gs1.org/8017/\\d{18}',
      'https://id.gs1.org/8018/\\d{18}',
    ].join('|') +
    ')',
);
const GTIN_14 = /^https:\/\/id.gs1.org\/01\/\d{14}/;
const GTIN_13 = /^https:\/\/id.gs1.org\/01\/\d{13}/;
const GTIN_12 = /^https:\/\/id.gs1.org\/01\/\d{12}/;
const GTIN_8 = /^https:\/\/id.gs1.org\/01\/\d{8}/;

/** GS1 mod-10 check digit of the given digits. */
function checkDigit(digits: string): number {
  let sum = 0;
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return Math.ceil(sum / 10) * 10 - sum;
}

const PERCENT: Readonly<Record<string, string>> = { '!': '%21', '(': '%28', ')': '%29', '*': '%2A', '+': '%2B', ',': '%2C', ':': '%3A' };
const PERCENT_CHARS = /[!()*+,:]/g;

function percentEncode(s: string): string {
  return s.replace(PERCENT_CHARS, (ch) => PERCENT[ch] as string);
}

/** Python slice s[start:end] (negative indices count from the end). */
function pySlice(s: string, start: number, end?: number): string {
  const n = s.length;
  const a = start < 0 ? Math.max(n + start, 0) : start;
  const b = end === undefined ? n : end < 0 ? Math.max(n + end, 0) : end;
  return a < b ? s.slice(a, b) : '';
}

/** GTIN-14 digits: indicator (first digit of the reference) + company prefix + rest of the reference. */
function gtinBody(uri: string, gcpStart: number, dot: number): string {
  const gcp = uri.slice(gcpStart, dot);
  const ref = uri.slice(dot + 1, dot + 1 + (13 - gcp.length));
  return ref.slice(0, 1) + gcp + ref.slice(1);
}

/** Company prefix + reference of a 12-digit key (GLN, GDTI, ...). */
function key12(uri: string, gcpStart: number, dot: number): string {
  const gcp = uri.slice(gcpStart, dot);
  return gcp + uri.slice(dot + 1, dot + 1 + (12 - gcp.length));
}

const withCheck = (digits: string): string => digits + checkDigit(digits);

function normaliseGs1Uri(uri: string): string | null {
  const dot = uri.indexOf('.');
  if (dot < 0) return null;
  if (uri.startsWith('urn:epc:')) return normaliseEpcUri(uri, dot);
  if (uri.charCodeAt(0) !== 104 /* h */ || !mayBeDigitalLink(uri) || !DL_URI.test(uri)) return null;
  return normaliseDigitalLink(uri);
}

const DL_KEYS: ReadonlySet<string> = new Set(DL_PRIMARY_KEYS.split('|'));

/** Cheap necessary condition for DL_URI: a "/<primary key>/dddd" segment, or a 10-letter last segment. */
function mayBeDigitalLink(uri: string): boolean {
  const n = uri.length;
  if (n >= 11 && uri.charCodeAt(n - 11) === 47 /* / */) return true;
  for (let i = uri.indexOf('/'); i >= 0; ) {
    const j = uri.indexOf('/', i + 1);
    if (j < 0) return false;
    if (j - i <= 6 && j + 4 < n && DL_KEYS.has(uri.slice(i + 1, j)) && isDigits(uri, j + 1, j + 5)) return true;
    i = j;
  }
  return false;
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function normaliseEpcUri(uri: string, dot: number): string | null {
  const base = 'https://id.gs1.org/';
  const end = uri.indexOf(':', uri.indexOf(':', 8) + 1);
  const scheme = uri.slice(8, end < 0 ? uri.length : end); // e.g. "id:sgtin", "idpat:grai"
  switch (scheme) {
    case 'id:sgtin':
      if (!EPC.sgtin.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 17, dot)) + '/21/' + percentEncode(uri.slice(32));
    case 'id:sscc': {
      if (!EPC.sscc.test(uri)) return null;
      const raw = uri.slice(dot + 1, dot + 2) + uri.slice(16, dot) + uri.slice(dot + 2);
      return base + '00/' + withCheck(raw);
    }
    case 'id:sgln': {
      if (!EPC.sgln.test(uri)) return null;
      const gln = base + '414/' + withCheck(key12(uri, 16, dot));
      const extension = uri.slice(30);
      return extension === '0' ? gln : gln + '/254/' + percentEncode(extension);
    }
    case 'id:grai':
      if (!EPC.grai.test(uri)) return null;
      return base + '8003/' + withCheck('0' + key12(uri, 16, dot)) + percentEncode(uri.slice(30));
    case 'id:giai':
      if (!EPC.giai.test(uri)) return null;
      return base + '8004/' + uri.slice(16, dot) + percentEncode(uri.slice(dot + 1));
    case 'id:gsrn':
      if (!EPC.gsrn.test(uri)) return null;
      return base + '8018/' + withCheck(uri.slice(16, dot) + uri.slice(dot + 1));
    case 'id:gsrnp':
      if (!EPC.gsrnp.test(uri)) return null;
      return base + '8017/' + withCheck(uri.slice(17, dot) + uri.slice(dot + 1));
    case 'id:gdti':
      if (!EPC.gdti.test(uri)) return null;
      return base + '253/' + withCheck(key12(uri, 16, dot)) + percentEncode(uri.slice(30));
    case 'id:cpi': {
      if (!EPC.cpi.test(uri)) return null;
      const sep = uri.lastIndexOf('.');
      return base + '8010/' + percentEncode(uri.slice(15, dot) + uri.slice(dot + 1, sep)) + '/8011/' + uri.slice(sep + 1);
    }
    case 'id:sgcn':
      if (!EPC.sgcn.test(uri)) return null;
      return base + '255/' + withCheck(key12(uri, 16, dot)) + uri.slice(30);
    case 'id:ginc':
      if (!EPC.ginc.test(uri)) return null;
      return base + '401/' + uri.slice(16, dot) + percentEncode(uri.slice(dot + 1));
    case 'id:gsin':
      if (!EPC.gsin.test(uri)) return null;
      return base + '402/' + withCheck(uri.slice(16, dot) + uri.slice(dot + 1));
    case 'id:itip':
      if (!EPC.itip.test(uri)) return null;
      return (
        base + '8006/' + withCheck(gtinBody(uri, 16, dot)) + uri.slice(31, 33) + uri.slice(34, 36) + '/21/' +
        percentEncode(uri.slice(37))
      );
    case 'id:upui':
      if (!EPC.upui.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 16, dot)) + '/235/' + percentEncode(uri.slice(31));
    case 'id:pgln':
      if (!EPC.pgln.test(uri)) return null;
      return base + '417/' + withCheck(key12(uri, 16, dot));
    case 'class:lgtin':
      if (!EPC.lgtin.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 20, dot)) + '/10/' + percentEncode(uri.slice(35));
    case 'idpat:sgtin':
      if (!EPC.patSgtin.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 20, dot));
    case 'idpat:grai':
      if (!EPC.patGrai.test(uri)) return null;
      return base + '8003/' + withCheck('0' + key12(uri, 19, dot));
    case 'idpat:gdti':
      if (!EPC.patGdti.test(uri)) return null;
      return base + '253/' + withCheck(key12(uri, 19, dot));
    case 'idpat:sgcn':
      if (!EPC.patSgcn.test(uri)) return null;
      return base + '255/' + withCheck(key12(uri, 19, dot));
    case 'idpat:cpi':
      if (!EPC.patCpi.test(uri)) return null;
      return base + '8010/' + percentEncode(uri.slice(18, dot) + uri.slice(dot + 1, uri.lastIndexOf('.')));
    case 'idpat:itip':
      if (!EPC.patItip.test(uri)) return null;
      return base + '8006/' + withCheck(gtinBody(uri, 19, dot)) + uri.slice(34, 36) + uri.slice(37, 39);
    case 'idpat:upui':
      if (!EPC.patUpui.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 19, dot));
    default:
      return null;
  }
}

function normaliseDigitalLink(input: string): string | null {
  let uri = input;
  const query = uri.indexOf('?');
  if (query >= 0) uri = uri.slice(0, query);
  for (const [short, ai] of DL_SHORT_NAMES) if (uri.includes(short)) uri = uri.replaceAll(short, ai);

  if (!DL_CANONICAL_HOST.test(uri)) {
    for (const segment of DL_KEY_SEGMENTS) {
      const at = uri.indexOf(segment);
      if (at !== -1) {
        uri = 'https://id.gs1.org' + uri.slice(at);
        break;
      }
    }
  }

  if (!GTIN_14.test(uri)) {
    if (GTIN_13.test(uri)) uri = uri.replaceAll('/01/', '/01/0');
    else if (GTIN_12.test(uri)) uri = uri.replaceAll('/01/', '/01/00');
    else if (GTIN_8.test(uri)) uri = uri.replaceAll('/01/', '/01/000000');
  }

  // drop the CPV (AI 22)
  const cpv = pySlice(uri, uri.indexOf('/22/') + 4);
  if (DL_CPV_LAST.some((r) => r.test(uri))) uri = pySlice(uri, 0, uri.indexOf('/22/')) + pySlice(cpv, cpv.indexOf('/'), -1);
  if (DL_CPV_INNER.some((r) => r.test(uri))) uri = pySlice(uri, 0, uri.indexOf('/22/')) + pySlice(cpv, cpv.indexOf('/'));

  // lowest identification level only: a serial makes the lot redundant
  if (DL_LOT_AND_SERIAL.some((r) => r.test(uri))) {
    const lot = pySlice(uri, uri.indexOf('/10/') + 4);
    uri = pySlice(uri, 0, uri.indexOf('/10/')) + pySlice(lot, lot.indexOf('/'));
  }

  return DL_VALID.test(uri) ? uri : null;
}
