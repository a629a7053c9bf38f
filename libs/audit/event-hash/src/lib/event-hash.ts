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
 * One file per step: term-scopes.ts (which bare words expand, and to what), event-tree.ts (the event as the
 * reference's tree), structure-corrections.ts (JSON-LD lists as XML elements), pre-hash-string.ts (property
 * order and sorting), canonical-value.ts with canonical-number.ts, canonical-timestamp.ts and gs1-digital-link.ts
 * (how one value is written), cbv-vocabulary.ts (the tables).
 *
 * Pure library: no I/O, no framework; only node:crypto for SHA-256.
 */
import { createHash } from 'node:crypto';

import { type ContextPrefixes } from './context-prefixes';
import { eventHashPreimage } from './pre-hash-string';

/** 'ni:///sha-256;<hex>?ver=CBV2.0' */
export function computeEventHashId(event: Readonly<Record<string, unknown>>, prefixes?: ContextPrefixes): string {
  const digest = createHash('sha256').update(eventHashPreimage(event, prefixes), 'utf8').digest('hex');
  return 'ni:///sha-256;' + digest + '?ver=CBV2.0';
}
