import { resolve } from 'node:path';
import { type JSONWebKeySet } from 'jose';

import { inclusionHolds, openNote, readNoteFile, VKEY_OPTION } from '../audit/checkpoint.check';
import { readKeyFile } from '../audit/key-set.file';
import { serviceGet } from '../audit/service.fetch';
import { type Command, stringOption } from '../cli.command';
import { UsageError } from '../cli.error';
import { ExitCode } from '../exit-code';
import { renderFields } from '../output/table.formatter';

interface ProofAnswer {
  readonly seq?: unknown;
  readonly prevHash?: unknown;
  readonly auditPath?: unknown;
  readonly treeSize?: unknown;
}

export const auditProofCommand: Command = {
  path: ['audit', 'proof'],
  summary: 'Prove an audit event is in the log a checkpoint note vouches for (RFC 9162 inclusion proof)',
  usage: 'EVENT_ID --checkpoint NOTE_FILE [--keys JWKS_FILE | --vkey VKEY]',
  positionals: { name: 'EVENT_ID', max: 1 },
  details:
    "Fetches the event and its inclusion proof at the saved checkpoint's tree size\n" +
    '(GET /epcis/events/{id}/proof?treeSize=N, API key with audit:read), and checks\n' +
    'offline that the leaf SHA-256(0x00 || RFC 8785 JSON of {seq, prevHash, event})\n' +
    "and the audit path give the note's root, and that the note is signed by the\n" +
    'audit key (--keys, --vkey, or the key set the service publishes). Exits 0\n' +
    'when it holds, 1 when it does not.',
  options: {
    checkpoint: { type: 'string', value: 'NOTE_FILE', file: true, description: 'the checkpoint note to prove against' },
    keys: { type: 'string', value: 'JWKS_FILE', file: true, description: "the service's key set (default: fetched from /epcis/checkpoints/keys)" },
    vkey: VKEY_OPTION,
  },
  async run(invocation) {
    const { values, positionals, output, cwd } = invocation;
    const [eventId] = positionals;
    const notePath = stringOption(values, 'checkpoint');
    if (eventId === undefined || notePath === undefined) throw new UsageError('Give the event and a checkpoint: m2m audit proof EVENT_ID --checkpoint NOTE_FILE');
    const settings = invocation.settings();
    const note = readNoteFile(resolve(cwd, notePath));
    const keysFile = stringOption(values, 'keys');
    const vkey = stringOption(values, 'vkey');
    let keys: JSONWebKeySet | null = null;
    if (keysFile !== undefined) {
      keys = readKeyFile(resolve(cwd, keysFile));
    } else if (vkey === undefined) {
      keys = (await serviceGet(settings, '/epcis/checkpoints/keys')).body as JSONWebKeySet;
    }
    const checkpoint = openNote(note, keys, vkey);
    const refuse = (fault: string): ExitCode => {
      output.result({ ok: false, fault }, () => `NOT VERIFIED: ${fault}`);
      return ExitCode.Refused;
    };
    if (!checkpoint) return refuse(`${notePath} is not a checkpoint note signed by the audit key`);
    const id = encodeURIComponent(eventId);
    const [proof, events] = await Promise.all([
      serviceGet(settings, `/epcis/events/${id}/proof?treeSize=${checkpoint.size}`, true),
      serviceGet(settings, `/epcis/events/${id}`, true),
    ]);
    if (proof.status !== 200 || events.status !== 200) return refuse(`the service has no proof of ${eventId} at tree size ${checkpoint.size} (answered ${proof.status})`);
    const event = (events.body as { epcisBody?: { queryResults?: { resultsBody?: { eventList?: unknown[] } } } }).epcisBody?.queryResults?.resultsBody?.eventList?.[0];
    const answer = proof.body as ProofAnswer;
    if (typeof event !== 'object' || event === null || !inclusionHolds(checkpoint, event, answer)) {
      return refuse(`the inclusion proof of ${eventId} does not lead to the root of tree size ${checkpoint.size}`);
    }
    const result = { ok: true, eventID: eventId, seq: answer.seq, treeSize: checkpoint.size, root: checkpoint.root.toString('hex'), origin: checkpoint.origin };
    output.result(result, () =>
      `VERIFIED\n${renderFields([
        ['event', `${eventId}, record ${String(answer.seq)}`],
        ['checkpoint', `${notePath}: tree size ${checkpoint.size}, root ${result.root} (${checkpoint.origin})`],
        ['checked', `RFC 9162 inclusion proof (${(answer.auditPath as unknown[]).length} hashes)`],
      ])}`,
    );
    return ExitCode.Ok;
  },
};
