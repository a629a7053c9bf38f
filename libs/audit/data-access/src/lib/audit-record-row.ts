import { type EpcisObjectEvent, recordHash } from '@m2m-trust/audit-domain';

/**
 * One audit record's columns, in the order both stores declare them (seq,
 * prev_hash, hash, event_id, source_event_id, event fields, extension fields,
 * document): the chain link and the query columns derived from the event once.
 */
export function auditRecordRow(seq: number, prevHash: string, sourceEventId: string, e: EpcisObjectEvent): unknown[] {
  return [
    seq,
    prevHash,
    recordHash(seq, prevHash, e as unknown as Readonly<Record<string, unknown>>),
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
