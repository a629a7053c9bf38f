// Expansion of CBV bare words, the part of JSON-LD expansion that matters for the hash: the EPCIS 2.0 context's
// term definitions, with the property-scoped contexts (sourceList, sensorReport, ...) that change a term's meaning.
import {
  BIZ_STEPS,
  BIZ_TRANSACTION_TYPES,
  CBV_NS,
  DISPOSITIONS,
  ERROR_REASONS,
  GS1_VOC_NS,
  ID_TERMS,
  LITERAL_TERMS,
  MEASUREMENT_TYPES,
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
} from './cbv-vocabulary';
import { type ContextPrefixes, prefixIri } from './context-prefixes';

const hasOwn = Object.prototype.hasOwnProperty;

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

/** The CBV/GS1 web-vocabulary IRIs JSON-LD expansion of the event yields (a set, in order of discovery; small). */
export function expandedVocabularyIris(event: Readonly<Record<string, unknown>>, prefixes: ContextPrefixes): string[] {
  const st: Expansion = { prefixes, expanded: [] };
  collectExpanded(event, TOP_SCOPE, st);
  return st.expanded;
}

interface Expansion {
  readonly prefixes: ContextPrefixes;
  readonly expanded: string[];
}

/** Walks the event like JSON-LD expansion would and records the CBV/GS1 web-vocabulary IRIs it yields. */
function collectExpanded(obj: Readonly<Record<string, unknown>>, sc: Scope, st: Expansion): void {
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

function collectValue(val: unknown, def: TermDef, sc: Scope, st: Expansion): void {
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
