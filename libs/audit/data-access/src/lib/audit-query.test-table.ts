import type { EpcisObjectEvent } from '@m2m-trust/audit-domain';

/*
 * One table of EPCIS query parameters and the events each must select, for
 * the in-memory matcher (audit-query.test-table.spec.ts) and both stores'
 * readers (their int-specs), so the three cannot drift apart. Each
 * expectation is written against the event's fields directly, not through
 * the code under test. Events come from eventSource (audit-log.test-events.ts).
 * Not exported from the library.
 */

export interface ParameterCase {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  readonly selects: (event: EpcisObjectEvent) => boolean;
}

/** Selects no event: every case with this expectation must come back empty. */
export const NONE = (): boolean => false;
const ALL = (): boolean => true;
const device = (n: number): string => `urn:m2m-trust:device:meter-${n}`;
const NS = 'https://ns.m2m-trust.org/epcis/';

/** Conditions on fields the log carries: evaluated exactly. */
const carried: ParameterCase[] = [
  { name: 'eventType ObjectEvent', params: { eventType: 'ObjectEvent' }, selects: ALL },
  { name: 'eventType of another standard type or an extension type', params: { eventType: 'AggregationEvent|urn:example:SomeEvent' }, selects: NONE },
  { name: 'EQ_action', params: { EQ_action: 'ADD|DELETE' }, selects: (e) => e.action === 'ADD' || e.action === 'DELETE' },
  { name: 'EQ_bizStep as a CBV URI', params: { EQ_bizStep: 'https://ref.gs1.org/cbv/BizStep-inspecting' }, selects: (e) => e.bizStep === 'inspecting' },
  { name: 'EQ_disposition', params: { EQ_disposition: 'non_conformant|inactive' }, selects: (e) => ['non_conformant', 'inactive'].includes(e.disposition) },
  { name: 'MATCH_epc', params: { MATCH_epc: device(3) }, selects: (e) => e.epcList.includes(device(3)) },
  {
    name: 'MATCH_epc and MATCH_anyEPC both hold',
    params: { MATCH_epc: `${device(3)}|${device(4)}`, MATCH_anyEPC: `${device(4)}|${device(5)}` },
    selects: (e) => e.epcList.includes(device(4)),
  },
  { name: 'MATCH_epc and MATCH_anyEPC with nothing in common', params: { MATCH_epc: device(3), MATCH_anyEPC: device(4) }, selects: NONE },
  { name: 'MATCH_epc with a GS1 EPC pattern (no audit EPC is a GS1 EPC)', params: { MATCH_epc: 'urn:epc:idpat:sgtin:0614141.*.*' }, selects: NONE },
  {
    name: 'an event-time window',
    params: { GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00+01:00' },
    selects: (e) => e.eventTime >= '2026-01-01T05:00:00.000Z' && e.eventTime < '2026-01-01T19:00:00.000Z',
  },
  {
    name: 'a record-time window',
    params: { GE_recordTime: '2026-01-01T00:01:00Z', LT_recordTime: '2026-01-01T00:03:00Z' },
    selects: (e) => e.recordTime >= '2026-01-01T00:01:00.000Z' && e.recordTime < '2026-01-01T00:03:00.000Z',
  },
  { name: 'EQ_m2m:reason', params: { 'EQ_m2m:reason': 'CHALLENGE_EXPIRED|lost' }, selects: (e) => ['CHALLENGE_EXPIRED', 'lost'].includes(e['m2m:reason'] ?? '') },
  { name: 'EQ_ with the standard namespace#name form', params: { [`EQ_${NS}#actor`]: 'api-key:admin' }, selects: (e) => e['m2m:actor'] === 'api-key:admin' },
  { name: 'EQ_ with the {namespace}name form', params: { [`EQ_{${NS}}method`]: 'challenge-response' }, selects: (e) => e['m2m:method'] === 'challenge-response' },
  {
    name: 'EQ_ on an extension field read from the document',
    params: { 'EQ_m2m:sourceEventId': 'source-17|source-99|source-250' },
    selects: (e) => ['source-17', 'source-99', 'source-250'].includes(e['m2m:sourceEventId'] ?? ''),
  },
  { name: 'one extension field spelt two ways, nothing in common', params: { 'EQ_m2m:reason': 'lost', [`EQ_{${NS}}reason`]: 'CHALLENGE_EXPIRED' }, selects: NONE },
  { name: 'EXISTS_ on an extension field with a column', params: { 'EXISTS_m2m:reason': '' }, selects: (e) => e['m2m:reason'] !== undefined },
  { name: 'EXISTS_ =true', params: { 'EXISTS_m2m:reason': 'true', EQ_action: 'DELETE' }, selects: (e) => e['m2m:reason'] !== undefined && e.action === 'DELETE' },
  { name: 'EXISTS_ =false (no condition)', params: { 'EXISTS_m2m:reason': 'false', EQ_action: 'DELETE' }, selects: (e) => e.action === 'DELETE' },
  { name: 'EXISTS_ on an extension field in the document', params: { 'EXISTS_m2m:sourceEventId': '' }, selects: ALL },
  { name: 'EXISTS_ on an extension field these events lack', params: { 'EXISTS_m2m:tokenId': '' }, selects: NONE },
  { name: 'EQ_ on an extension field these events lack', params: { 'EQ_m2m:tokenId': 'tok-1' }, selects: NONE },
  { name: 'EQ_ on a field of the namespace no event has', params: { 'EQ_m2m:colour': 'red' }, selects: NONE },
  { name: 'EXISTS_ on a field of the namespace no event has', params: { 'EXISTS_m2m:colour': '' }, selects: NONE },
  { name: 'GT_ on an extension field (a String: comparisons hold only for Int, Float, Time)', params: { 'GT_m2m:reason': '5' }, selects: NONE },
  { name: 'EQ_ on another namespace', params: { 'EQ_example:myField': 'x' }, selects: NONE },
  { name: 'EXISTS_ on another namespace', params: { 'EXISTS_example:myField': '' }, selects: NONE },
  { name: 'orderBy a field no event carries (events lacking it stand anywhere)', params: { orderBy: 'example:rank', EQ_action: 'ADD' }, selects: (e) => e.action === 'ADD' },
];

/** Conditions on fields no audit event carries: each selects nothing. */
const absent: [string, string][] = [
  ['EQ_readPoint', 'urn:epc:id:sgln:0614141.07346.1234'],
  ['WD_readPoint', 'urn:epc:id:sgln:0614141.07346.0'],
  ['EQ_bizLocation', 'urn:epc:id:sgln:0614141.07346.0'],
  ['WD_bizLocation', 'urn:epc:id:sgln:0614141.07346.0'],
  ['EQ_persistentDisposition_set', 'active'],
  ['EQ_persistentDisposition_unset', 'active'],
  ['EQ_transformationID', 'urn:epc:id:gdti:0614141.12345.400'],
  ['MATCH_parentID', device(3)],
  ['MATCH_inputEPC', device(3)],
  ['MATCH_outputEPC', device(3)],
  ['MATCH_epcClass', 'urn:epc:class:lgtin:4012345.012345.998877'],
  ['MATCH_inputEPCClass', 'urn:epc:idpat:sgtin:4012345.012345.*'],
  ['MATCH_outputEPCClass', 'urn:epc:idpat:sgtin:4012345.012345.*'],
  ['MATCH_anyEPCClass', 'urn:epc:idpat:sgtin:4012345.012345.*'],
  ['EQ_quantity', '5|6.5'],
  ['GT_quantity', '0'],
  ['GE_quantity', '0'],
  ['LT_quantity', '1e9'],
  ['LE_quantity', '1e9'],
  ['EQ_quantity_KGM', '1'],
  ['GE_quantity_KGM', '1'],
  ['EXISTS_errorDeclaration', ''],
  ['EXISTS_errorDeclaration', 'true'],
  ['GE_errorDeclarationTime', '2000-01-01T00:00:00Z'],
  ['LT_errorDeclarationTime', '2100-01-01T00:00:00Z'],
  ['GE_errorDeclaration_Time', '2000-01-01T00:00:00Z'],
  ['EQ_errorReason', 'incorrect_data|did_not_occur'],
  ['EQ_correctiveEventID', 'ni:///sha-256;00?ver=CBV2.0'],
  ['EXISTS_sensorElementList', ''],
  ['GE_time', '2000-01-01T00:00:00Z'],
  ['LT_startTime', '2100-01-01T00:00:00Z'],
  ['GE_endTime', '2000-01-01T00:00:00Z'],
  ['EQ_type', 'Temperature'],
  ['EQ_deviceID', 'urn:epc:id:giai:4000001.111'],
  ['EQ_dataProcessingMethod', 'https://example.com/method'],
  ['EQ_microorganism', 'https://www.ncbi.nlm.nih.gov/taxonomy/1126011'],
  ['EQ_chemicalSubstance', 'https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N'],
  ['EQ_bizRules', 'https://example.com/rules'],
  ['EQ_stringValue', 'x'],
  ['EQ_hexBinaryValue', 'BEEF'],
  ['EQ_uriValue', 'https://example.com/x'],
  ['EQ_booleanValue', 'true'],
  ['GE_percRank', '0.5'],
  ['EQ_value_CEL', '20'],
  ['GT_minValue_CEL', '3'],
  ['LE_sDev_CEL', '1'],
  ['EQ_bizTransaction_po', 'urn:epc:id:gdti:0614141.00001.1618034'],
  ['EQ_source_owning_party', 'urn:epc:id:pgln:9520001.11111'],
  ['EQ_destination_location', 'urn:epc:id:sgln:9520999.99999.0'],
  ['HASATTR_bizLocation', 'name'],
  ['EQATTR_bizLocation_name', 'Warehouse'],
  ['EQ_ATTR_readPoint_name', 'Dock'],
  ['EQ_ILMD_example:lot', 'L1'],
  ['EQ_INNER_example:part', 'x'],
  ['EQ_INNER_ILMD_example:part', 'x'],
  ['GT_ILMD_example:size', '3'],
  ['EXISTS_INNER_example:part', ''],
  ['EXISTS_ILMD_example:lot', ''],
  ['EQ_ERROR_DECLARATION_example:ref', 'x'],
  ['EXISTS_ERROR_DECLARATION_example:ref', ''],
  ['EQ_SENSORELEMENT_example:a', 'x'],
  ['GT_SENSORREPORT_example:a', '1'],
  ['LT_SENSORMETADATA_example:a', '2026-01-01T00:00:00Z'],
  ['EQ_INNER_SENSORREPORT_example:a', 'x'],
  ['EXISTS_SENSORMETADATA_example:a', ''],
  ['EQ_readPoint_example:a', 'x'],
  ['EQ_INNER_bizLocation_example:a', 'x'],
];

export const PARAMETER_CASES: readonly ParameterCase[] = [
  ...carried,
  ...absent.map(([name, value]): ParameterCase => ({ name: `${name} (a field no audit event carries)`, params: { [name]: value }, selects: NONE })),
  // A condition that cannot hold empties a query however wide the rest is.
  { name: 'an absent field beside a carried one', params: { EQ_action: 'ADD', EQ_readPoint: 'urn:epc:id:sgln:0614141.07346.1234' }, selects: NONE },
  { name: 'EXISTS_errorDeclaration=false (no condition)', params: { EXISTS_errorDeclaration: 'false', EQ_action: 'ADD' }, selects: (e) => e.action === 'ADD' },
];

/** Paged queries on extension fields (order, presence, document fields) that the readers' suites page exactly as the in-memory result. */
export const EXTENSION_QUERIES: readonly [string, Record<string, string>][] = [
  ['failures by reason, ascending', { EQ_disposition: 'non_conformant', orderBy: 'm2m:reason', orderDirection: 'ASC' }],
  ['everything by reason, those without one first', { orderBy: 'm2m:reason', orderDirection: 'ASC' }],
  ['the first 30 by actor, descending', { orderBy: 'm2m:actor', eventCountLimit: '30' }],
  ['revocations by a field read from the document', { EQ_action: 'DELETE', orderBy: 'm2m:sourceEventId', orderDirection: 'ASC' }],
  ['a field read from the document, by event time', { 'EQ_m2m:sourceEventId': 'source-3|source-40|source-41|source-200|source-399', orderBy: 'eventTime' }],
  ['events with a reason in a time window', { 'EXISTS_m2m:reason': '', GE_eventTime: '2026-01-01T05:00:00Z', LT_eventTime: '2026-01-01T20:00:00Z' }],
  ['events with a reason, by event time', { 'EXISTS_m2m:reason': '', orderBy: 'eventTime', orderDirection: 'ASC' }],
];
