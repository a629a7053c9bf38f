import { type ChainProblem } from '@m2m-trust/audit-domain';

/** What can be wrong with the signed manifest, or with the file against its claims. */
export type ManifestProblem =
  | 'manifest_missing'
  | 'manifest_malformed'
  | 'key_not_found'
  | 'signature_invalid'
  | 'format_mismatch'
  | 'count_mismatch'
  | 'first_seq_mismatch'
  | 'last_seq_mismatch'
  | 'chain_head_mismatch'
  | 'snapshot_mismatch'
  | 'body_hash_mismatch';

/** What can be wrong with one record: the chain's own problems, or a line that is not a record at all. */
export type RecordProblem = ChainProblem | 'malformed_record' | 'schema_invalid' | 'unsafe_cell';

/** What can be wrong with the document around the records. */
export type DocumentProblem = 'document_malformed' | 'document_schema_invalid';

export type VerifyFault =
  | { readonly scope: 'manifest'; readonly problem: ManifestProblem; readonly detail: string }
  | { readonly scope: 'record'; readonly problem: RecordProblem; readonly seq: number | null; readonly line: number; readonly detail: string }
  | { readonly scope: 'document'; readonly problem: DocumentProblem; readonly line: number; readonly detail: string };

/** What each record problem means for an auditor (docs/epcis.md, "Append-only and tamper-evident"). */
export const RECORD_PROBLEMS: Readonly<Record<RecordProblem, string>> = {
  event_id_mismatch: 'its content no longer matches its CBV event hash ID (edited)',
  record_hash_mismatch: 'its record hash does not match its place and content (edited or moved)',
  broken_link: 'it does not follow the record before it (a record was removed, inserted or reordered)',
  sequence_gap: 'its sequence number does not follow the record before it (a record was removed, inserted or reordered)',
  malformed_record: 'the line is not an exported event with its chain link',
  schema_invalid: 'the event does not validate against the EPCIS JSON Schema',
  unsafe_cell: 'a cell starts with =, +, -, @, a tab or a carriage return: a spreadsheet would take it for a formula (the service writes such values after a \')',
};

export const recordFault = (problem: RecordProblem, seq: number | null, line: number, detail: string = RECORD_PROBLEMS[problem]): VerifyFault => ({
  scope: 'record',
  problem,
  seq,
  line,
  detail,
});

export const manifestFault = (problem: ManifestProblem, detail: string): VerifyFault => ({ scope: 'manifest', problem, detail });

export const documentFault = (problem: DocumentProblem, line: number, detail: string): VerifyFault => ({ scope: 'document', problem, line, detail });

/** One line naming the fault: `record seq 3 (line 4): event_id_mismatch: …`. */
export function describeFault(fault: VerifyFault): string {
  switch (fault.scope) {
    case 'record':
      return `record ${fault.seq === null ? '' : `seq ${fault.seq} `}(line ${fault.line}): ${fault.problem}: ${fault.detail}`;
    case 'document':
      return `document (line ${fault.line}): ${fault.problem}: ${fault.detail}`;
    case 'manifest':
      return `manifest: ${fault.problem}: ${fault.detail}`;
  }
}
