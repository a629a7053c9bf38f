import { type ChainLink, type EpcisObjectEvent } from '@m2m-trust/audit-domain';

/**
 * One audit record's columns, in the order both stores declare them (see
 * AUDIT_RECORD_COLUMNS): the chain link, the ids, the query columns derived
 * from the event once, the extension columns and the document.
 */
export type AuditRecordRow = readonly [
  seq: number,
  prevHash: string,
  hash: string,
  eventId: string,
  sourceEventId: string,
  eventType: string,
  eventTime: string,
  recordTime: string,
  action: string,
  bizStep: string,
  disposition: string,
  epc: string | undefined,
  reason: string | null,
  challengeId: string | null,
  keyThumbprint: string | null,
  actor: string | null,
  requestId: string | null,
  method: string | null,
  document: string,
];

/** The row of the record `link` places in the chain. */
export function auditRecordRow(link: ChainLink, sourceEventId: string, e: EpcisObjectEvent): AuditRecordRow {
  return [
    link.seq,
    link.prevHash,
    link.hash,
    e.eventID,
    sourceEventId,
    e.type,
    e.eventTime,
    e.recordTime,
    e.action,
    e.bizStep,
    e.disposition,
    e.epcList[0],
    e['m2m:reason'] ?? null,
    e['m2m:challengeId'] ?? null,
    e['m2m:keyThumbprint'] ?? null,
    e['m2m:actor'] ?? null,
    e['m2m:requestId'] ?? null,
    e['m2m:method'] ?? null,
    JSON.stringify(e),
  ];
}
