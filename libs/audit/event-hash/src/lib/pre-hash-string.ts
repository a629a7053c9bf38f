// The canonical pre-hash string: the standard fields in the algorithm's property order, then everything else sorted.
import { canonicalTimestamp } from './canonical-timestamp';
import { canonicalValue } from './canonical-value';
import { PROPERTY_ORDER, type PropertyOrder } from './cbv-vocabulary';
import { type ContextPrefixes, contextPrefixes } from './context-prefixes';
import { bare, buildChildren, EXCLUDED_TOP, hasAnyKey, type HNode, type Item, leafText, type State } from './event-tree';
import { comparePy, pyStrip } from './python-text';
import { correctStructure } from './structure-corrections';
import { expandedVocabularyIris } from './term-scopes';

const EMPTY_PREFIXES: ContextPrefixes = Object.freeze({});

/** The canonical pre-hash string of one EPCIS event (JSON-LD form), exactly as the CBV 2.0 algorithm defines it. */
export function eventHashPreimage(event: Readonly<Record<string, unknown>>, prefixes?: ContextPrefixes): string {
  let pfx = prefixes ?? EMPTY_PREFIXES;
  const own = event['@context'];
  if (own !== undefined) pfx = { ...pfx, ...contextPrefixes(own) };

  const st: State = { prefixes: pfx, hasPrefixes: hasAnyKey(pfx), expanded: expandedVocabularyIris(event, pfx) };

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
