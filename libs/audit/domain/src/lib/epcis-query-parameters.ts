import { M2M_NAMESPACE, M2M_PREFIX } from './epcis-vocabulary';

/**
 * The query parameters EPCIS 2.0 defines (section 8.2.7.1; the REST
 * binding's openapi.yaml and query-schema.json), by name: which are fixed
 * names and which are name patterns, how each value is written, and which
 * field each is about. event-query.ts decides what each means for this log.
 */

/**
 * How a parameter's value is written, after query-schema.json's types. The
 * URL form spells every value as text, lists with `|` between alternatives.
 */
export type ParameterValue =
  /** A list of strings (`eventType`, `EQ_bizStep`, `EQ_errorReason`, ...). */
  | 'strings'
  /** A list of URIs (`EQ_readPoint`, `MATCH_parentID`, `EQ_deviceID`, ...). */
  | 'uris'
  /** A list of numbers (`EQ_quantity`, `EQ_value_<uom>`). */
  | 'numbers'
  /** One RFC 3339 date-time with a zone. */
  | 'time'
  /** One number. */
  | 'number'
  /** One positive integer (`eventCountLimit`, `maxEventCount`). */
  | 'count'
  /** `true` or `false`. */
  | 'boolean'
  /** The standard's Void (`EXISTS_*`): present or not; `true`, `false` or empty over the URL. */
  | 'void'
  /** One word from a closed or open set (`orderBy`, `orderDirection`). */
  | 'word'
  /** `EQ_<field>`: a list of strings, or one date-time or number. */
  | 'fieldValue'
  /** `GT_`/`GE_`/`LT_`/`LE_<field>`: one date-time or number. */
  | 'fieldBound';

/** A top-level extension field's name: its namespace URI and local name. */
export interface QualifiedName {
  readonly namespace: string | null;
  readonly local: string;
}

export type StandardParameter =
  /** A parameter with a fixed name whose field this log's events carry: event-query.ts interprets it. */
  | { readonly kind: 'carried'; readonly value: ParameterValue }
  /** A condition on a field no event of this log carries (readPoint, quantities, sensor data, error declarations, ...). */
  | { readonly kind: 'absent'; readonly value: ParameterValue }
  /** `EQ_`/`GT_`/`GE_`/`LT_`/`LE_`/`EXISTS_` on a top-level extension field. */
  | { readonly kind: 'extension'; readonly value: ParameterValue; readonly op: ExtensionOp; readonly field: QualifiedName };

export type ExtensionOp = 'EQ' | 'GT' | 'GE' | 'LT' | 'LE' | 'EXISTS';

/** Fixed names whose field the audit log's ObjectEvents carry. */
const CARRIED: Readonly<Record<string, ParameterValue>> = {
  eventType: 'strings',
  GE_eventTime: 'time',
  LT_eventTime: 'time',
  GE_recordTime: 'time',
  LT_recordTime: 'time',
  EQ_action: 'strings',
  EQ_bizStep: 'strings',
  EQ_disposition: 'strings',
  MATCH_epc: 'uris',
  MATCH_anyEPC: 'uris',
  EQ_eventID: 'uris',
  orderBy: 'word',
  orderDirection: 'word',
  eventCountLimit: 'count',
  maxEventCount: 'count',
};

/**
 * Fixed names of conditions on fields no audit event carries: the log holds
 * only ObjectEvents with an epcList, an action, a bizStep, a disposition and
 * m2m: extension fields, never a readPoint, bizLocation, persistent
 * disposition, transformation, parent, quantity, error declaration or sensor
 * element.
 */
const ABSENT: Readonly<Record<string, ParameterValue>> = {
  EQ_persistentDisposition_set: 'strings',
  EQ_persistentDisposition_unset: 'strings',
  EQ_readPoint: 'uris',
  WD_readPoint: 'uris',
  EQ_bizLocation: 'uris',
  WD_bizLocation: 'uris',
  EQ_transformationID: 'strings',
  MATCH_parentID: 'uris',
  MATCH_inputEPC: 'uris',
  MATCH_outputEPC: 'uris',
  MATCH_epcClass: 'uris',
  MATCH_inputEPCClass: 'uris',
  MATCH_outputEPCClass: 'uris',
  MATCH_anyEPCClass: 'uris',
  EQ_quantity: 'numbers',
  GT_quantity: 'number',
  GE_quantity: 'number',
  LT_quantity: 'number',
  LE_quantity: 'number',
  EXISTS_errorDeclaration: 'void',
  GE_errorDeclarationTime: 'time',
  LT_errorDeclarationTime: 'time',
  // query-schema.json spells these two with an underscore; openapi.yaml without. Both mean the same.
  GE_errorDeclaration_Time: 'time',
  LT_errorDeclaration_Time: 'time',
  EQ_errorReason: 'strings',
  EQ_correctiveEventID: 'uris',
  EXISTS_sensorElementList: 'void',
  GE_time: 'time',
  LT_time: 'time',
  GE_startTime: 'time',
  LT_startTime: 'time',
  GE_endTime: 'time',
  LT_endTime: 'time',
  EQ_type: 'strings',
  EQ_deviceID: 'uris',
  EQ_dataProcessingMethod: 'uris',
  EQ_microorganism: 'uris',
  EQ_chemicalSubstance: 'uris',
  EQ_bizRules: 'uris',
  EQ_stringValue: 'strings',
  EQ_hexBinaryValue: 'strings',
  EQ_uriValue: 'uris',
  EQ_booleanValue: 'boolean',
  GT_percRank: 'number',
  GE_percRank: 'number',
  LT_percRank: 'number',
  LE_percRank: 'number',
};

/**
 * A field name as the standard writes it in a parameter name: a CURIE
 * (`m2m:reason`, `example:myField`), the standard's `namespace#local`, or
 * `{namespace}local`; the project's own namespace also directly followed by
 * the local name.
 */
const CURIE = /^([a-z][a-zA-Z0-9]*):(\w+)$/;
const HASH_FORM = /^([a-z][a-z0-9+.-]*:[^\s#{}]*#)(\w+)$/i;
const BRACED = /^\{([^{}\s]+)\}(\w+)$/;

export function qualifiedName(text: string): QualifiedName | null {
  const curie = CURIE.exec(text);
  if (curie) return { namespace: curie[1] === M2M_PREFIX ? M2M_NAMESPACE : null, local: curie[2] as string };
  const braced = BRACED.exec(text);
  if (braced) return { namespace: braced[1] as string, local: braced[2] as string };
  const hash = HASH_FORM.exec(text);
  // The standard joins namespace and name with `#`; the project's namespace already ends in `/`.
  if (hash) return { namespace: (hash[1] as string).slice(0, -1), local: hash[2] as string };
  if (text.startsWith(M2M_NAMESPACE) && /^\w+$/.test(text.slice(M2M_NAMESPACE.length))) return { namespace: M2M_NAMESPACE, local: text.slice(M2M_NAMESPACE.length) };
  return null;
}

const COMPARISON = '(EQ|GT|GE|LT|LE)';
/** Inner, ILMD, error-declaration and sensor fields: none of them exists in an audit event. */
const NESTED_CONTEXTS = [
  'ILMD_',
  'INNER_',
  'INNER_ILMD_',
  'ERROR_DECLARATION_',
  'INNER_ERROR_DECLARATION_',
  'SENSORELEMENT_',
  'SENSORMETADATA_',
  'SENSORREPORT_',
  'INNER_SENSORELEMENT_',
  'INNER_SENSORMETADATA_',
  'INNER_SENSORREPORT_',
];
const EXISTS_CONTEXTS = ['INNER_', 'ILMD_', 'INNER_ILMD_', 'ERROR_DECLARATION_', 'INNER_ERROR_DECLARATION_', 'SENSORELEMENT_', 'SENSORMETADATA_', 'SENSORREPORT_'];
/** Unit of measure codes (UN/CEFACT Rec. 20) in sensor and quantity parameter names. */
const UOM = '[A-Z0-9]{2,4}';
const SENSOR_BOUND = new RegExp(`^(GT|GE|LT|LE)_(minValue|maxValue|meanValue|sDev|value|percValue|quantity)_${UOM}$`);
const SENSOR_EQUAL = new RegExp(`^EQ_(value|quantity)_${UOM}$`);
const TYPED_LIST = /^EQ_(bizTransaction|source|destination)_[a-z][a-zA-Z0-9_]+$/;
const MASTER_DATA_EQ = /^EQ_?ATTR_\w+_\w+$/;

const startsWithContext = (rest: string, contexts: readonly string[]): string | null => {
  // Longest first, so `INNER_ILMD_x:y` is read as an inner ILMD field, not an inner field named `ILMD_x:y`.
  const context = [...contexts].sort((a, b) => b.length - a.length).find((c) => rest.startsWith(c));
  return context === undefined ? null : rest.slice(context.length);
};

/** What the standard defines under a parameter's name, or null when it defines nothing by that name. */
export function standardParameter(name: string): StandardParameter | null {
  const carried = CARRIED[name];
  if (carried) return { kind: 'carried', value: carried };
  const absent = ABSENT[name];
  if (absent) return { kind: 'absent', value: absent };
  if (SENSOR_EQUAL.test(name)) return { kind: 'absent', value: 'numbers' };
  if (SENSOR_BOUND.test(name)) return { kind: 'absent', value: 'number' };
  if (TYPED_LIST.test(name)) return { kind: 'absent', value: 'uris' };
  // Master data: this repository holds none, so no field has attributes.
  if (MASTER_DATA_EQ.test(name)) return { kind: 'absent', value: 'fieldValue' };
  if (name.startsWith('HASATTR_') && (/^\w+$/.test(name.slice(8)) || qualifiedName(name.slice(8)))) return { kind: 'absent', value: 'strings' };

  if (name.startsWith('EXISTS_')) {
    const rest = name.slice(7);
    const nested = startsWithContext(rest, EXISTS_CONTEXTS);
    if (nested !== null && qualifiedName(nested)) return { kind: 'absent', value: 'void' };
    const field = qualifiedName(rest);
    return field ? { kind: 'extension', value: 'void', op: 'EXISTS', field } : null;
  }
  const comparison = new RegExp(`^${COMPARISON}_(.+)$`).exec(name);
  if (!comparison) return null;
  const op = comparison[1] as Exclude<ExtensionOp, 'EXISTS'>;
  const rest = comparison[2] as string;
  const value: ParameterValue = op === 'EQ' ? 'fieldValue' : 'fieldBound';
  // An extension field of a readPoint or bizLocation (equality only).
  const located = /^(INNER_)?(readPoint|bizLocation)_(.+)$/.exec(rest);
  if (op === 'EQ' && located && qualifiedName(located[3] as string)) return { kind: 'absent', value };
  const nested = startsWithContext(rest, NESTED_CONTEXTS);
  if (nested !== null && qualifiedName(nested)) return { kind: 'absent', value };
  const field = qualifiedName(rest);
  return field ? { kind: 'extension', value, op, field } : null;
}
