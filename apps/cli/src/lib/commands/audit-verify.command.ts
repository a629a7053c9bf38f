import { type CheckpointBody } from '@m2m-trust/audit-domain';
import { describeFault, linksInEvents } from '@m2m-trust/audit-export';

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type JSONWebKeySet } from 'jose';

import {
  CheckpointPrefix,
  consistencyHolds,
  describeSaved,
  openNote,
  openSavedCheckpoint,
  readNoteFile,
  type SavedCheckpoint,
  savedSize,
  VKEY_OPTION,
} from '../audit/checkpoint.check';
import { loadEpcisSchema } from '../audit/epcis-schema.validator';
import { type KeySource, verifyExportFile, type VerifyReport } from '../audit/export.verifier';
import { readExportTrailer } from '../audit/export-trailer';
import { readKeyFile } from '../audit/key-set.file';
import { serviceGet } from '../audit/service.fetch';
import { type Command, type Invocation, stringOption } from '../cli.command';
import { ConfigError, UsageError } from '../cli.error';
import { ExitCode } from '../exit-code';
import { type Progress } from '../output/progress.bar';
import { renderFields } from '../output/table.formatter';

const MIB = 1024 * 1024;

type KeysOf = () => Promise<{ keySet: JSONWebKeySet; from: KeySource }>;

/** The key set: the auditor's own copy, or else the configured service's, fetched once (the manifest and a saved checkpoint share it). */
function keySource(invocation: Invocation): KeysOf {
  let keys: ReturnType<KeysOf> | undefined;
  const load = keyLoader(invocation);
  return () => (keys ??= load());
}

function keyLoader(invocation: Invocation): KeysOf {
  const keysFile = stringOption(invocation.values, 'keys');
  if (keysFile !== undefined) {
    const path = resolve(invocation.cwd, keysFile);
    return async () => ({ keySet: readKeyFile(path), from: { source: 'file', location: path } });
  }
  return async () => {
    let client;
    try {
      client = invocation.deviceClient();
    } catch (error) {
      throw error instanceof ConfigError ? new ConfigError(`${error.message}; or give the key set with --keys FILE`) : error;
    }
    const keySet = (await client.audit.checkpointKeys()) as unknown as JSONWebKeySet;
    const location = `${(invocation.settings().url ?? '').replace(/\/+$/, '')}/epcis/checkpoints/keys`;
    return { keySet, from: { source: 'service', location } };
  };
}

function describe(report: VerifyReport): string {
  const { manifest, body } = report;
  const keys = report.keys === null ? undefined : `${report.keys.source === 'file' ? 'the key set in' : 'the key set of the service,'} ${report.keys.location}`;
  const lines: [string, string | undefined][] = [
    ['file', `${report.file}${report.format ? ` (${report.format}, ${(report.bytes / MIB).toFixed(1)} MiB)` : ''}`],
    ['signature', manifest ? `valid, key ${report.kid ?? '(no kid)'} of ${keys}; issued by ${manifest.iss}` : keys && `checked against ${keys}`],
  ];
  if (manifest) {
    lines.push([
      'export',
      manifest.complete
        ? `complete: every record up to ${manifest.snapshotSeq}${manifest.chainHead ? `, chain head ${manifest.chainHead}` : ''}`
        : `partial (filtered: ${Object.entries(manifest.filters).map(([name, value]) => `${name}=${value}`).join(', ')}) from a log of ${manifest.snapshotSeq} records`,
    ]);
  }
  if (manifest && body) {
    const range = body.firstSeq === null ? 'no records' : `seq ${body.firstSeq}-${body.lastSeq}`;
    // After a fault, what the walk got through: how far the file can still be trusted.
    lines.push(report.ok ? ['events', `${body.count}, ${range}`] : ['held', `${body.count} records (${range}) before the fault`]);
    lines.push(['checked', body.checks]);
    if (report.format !== 'csv') {
      lines.push([
        'layout',
        linksInEvents(manifest)
          ? "chain links inside the events (written before the chain section): the chain checks hold, but GS1's event hash of these events as written is not their eventID"
          : "chain section after the events: each event as stored, its eventID GS1's event hash of it",
      ]);
    }
    if (report.ok) lines.push(['body', `sha256 ${body.sha256}, as signed`]);
  }
  lines.push(['schema', report.schema.checked ? `valid against ${report.schema.path}: ${report.schema.note}` : report.schema.note]);
  const verdict = report.ok ? 'VERIFIED' : `NOT VERIFIED: ${describeFault(report.fault!)}`;
  return `${verdict}\n${renderFields(lines)}`;
}

interface LatestCheckpoint {
  readonly note?: string | null;
  readonly keys?: JSONWebKeySet;
}

/**
 * Against the live log: the saved checkpoint's signature, the service's
 * newest note, and a consistency proof from the saved tree size to the newest
 * one. A log cut back below the saved size (its checkpoints with it) cannot
 * give one, nor can a log whose history before the saved size was rewritten.
 * A JWS checkpoint (the chain head at a seq, from before the tree) is linked
 * to the tree by the note the service signed at that seq, which must name the
 * same chain head.
 */
async function verifyAgainstLog(invocation: Invocation, notePath: string): Promise<{ ok: boolean; lines: [string, string][]; fault?: string }> {
  const settings = invocation.settings();
  const text = readNoteFile(notePath);
  const latest = await serviceGet(settings, '/epcis/checkpoints/latest');
  if (latest.status !== 200) return { ok: false, lines: [], fault: `the service has no checkpoint (answered ${latest.status}): the log is empty or gone` };
  const body = latest.body as LatestCheckpoint;
  const keysFile = stringOption(invocation.values, 'keys');
  const keys = keysFile === undefined ? (body.keys ?? { keys: [] }) : readKeyFile(resolve(invocation.cwd, keysFile));
  const vkey = stringOption(invocation.values, 'vkey');
  const saved = await openSavedCheckpoint(text, keys, vkey);
  if (!saved) return { ok: false, lines: [], fault: `${notePath} is neither a checkpoint note nor a JWS checkpoint signed by the audit key` };
  const lines: [string, string][] = [['saved', describeSaved(notePath, saved)]];
  const newer = typeof body.note === 'string' ? openNote(body.note, keys, vkey) : null;
  if (!newer) return { ok: false, lines, fault: "the service's newest checkpoint note is missing or not signed by the audit key" };
  lines.push(['current', `tree size ${newer.size}, root ${newer.root.toString('hex')}`]);
  const size = savedSize(saved);
  if (newer.size < size) return { ok: false, lines, fault: `the log holds ${newer.size} records, fewer than the ${size} the saved checkpoint vouches for: its tail is gone` };
  const proof = await serviceGet(settings, `/epcis/checkpoints/consistency?from=${size}&to=${newer.size}`);
  const answer = proof.body as { proof?: unknown; fromCheckpoint?: unknown };
  let older: CheckpointBody;
  if (saved.kind === 'note') {
    older = saved.body;
  } else {
    const linked = typeof answer.fromCheckpoint === 'string' ? openNote(answer.fromCheckpoint, keys, vkey) : null;
    if (!linked) {
      return {
        ok: false,
        lines,
        fault: `the log has no checkpoint note at record ${size} to link the JWS checkpoint to its tree (it predates the tree): check an export against it instead, m2m audit verify EXPORT_FILE --checkpoint ${notePath}`,
      };
    }
    if (linked.chainHead !== saved.head) {
      return { ok: false, lines, fault: `the log's checkpoint note at record ${size} names the chain head ${linked.chainHead}, not the ${saved.head} the saved JWS checkpoint signs: the log was rewritten` };
    }
    lines.push(['linked', `the log's checkpoint note at record ${size} names the saved chain head; its root ${linked.root.toString('hex')}`]);
    older = linked;
  }
  if (proof.status !== 200 || !consistencyHolds(older, newer, answer.proof)) {
    return { ok: false, lines, fault: `no valid consistency proof from tree size ${size} to ${newer.size}: the log does not extend the saved checkpoint` };
  }
  lines.push(['checked', `RFC 9162 consistency proof (${(answer.proof as unknown[]).length} hashes): the current log extends the saved checkpoint`]);
  return { ok: true, lines };
}

/**
 * What --checkpoint needs of an export before it is read: a complete JSON-LD
 * export, the only kind whose records can be re-hashed into the tree from
 * record 1. Told from the file's tail; the manifest's signature is checked
 * afterwards, with the walk.
 */
async function expectCompleteJsonLd(file: string, manifestPath: string | undefined): Promise<void> {
  const trailer = await readExportTrailer(file, manifestPath);
  if ('problem' in trailer) return; // the walk reports it
  const supported = 'a complete (unfiltered) JSON-LD export (m2m audit export --format jsonld, no filters)';
  if (trailer.format !== 'jsonld') {
    throw new UsageError(`--checkpoint with FILE needs ${supported}: the tree is rebuilt from each record's canonical bytes, which a ${trailer.format.toUpperCase()} export does not keep`);
  }
  let complete: unknown;
  try {
    complete = (JSON.parse(Buffer.from(trailer.jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as { complete?: unknown }).complete;
  } catch {
    return; // the signature check reports a malformed manifest
  }
  if (complete === false) throw new UsageError(`--checkpoint with FILE needs ${supported}: a filtered export skips records, so the tree of the log cannot be rebuilt from it`);
}

export const auditVerifyCommand: Command = {
  path: ['audit', 'verify'],
  summary: 'Check an export file offline: signed manifest, body hash, every record and the chain',
  usage: 'FILE [--keys JWKS_FILE] [--schema EPCIS_JSON_SCHEMA] [--manifest JWS_FILE] [--checkpoint CHECKPOINT_FILE [--vkey VKEY]] | --checkpoint CHECKPOINT_FILE [--vkey VKEY]',
  positionals: { name: 'FILE', max: 1, file: true },
  details:
    'Checks, stopping at the first failure: the manifest at the end of FILE and its\n' +
    "signature against the key set (--keys, a saved copy of the service's\n" +
    'GET /epcis/checkpoints/keys; else fetched once from the configured service);\n' +
    'for JSON-LD every event (its CBV event hash ID and record hash recomputed) and\n' +
    'the chain: contiguous from record 1 for a complete export, each record on its\n' +
    "own and in increasing order for a filtered one; then the manifest's claims\n" +
    '(count, first and last sequence number, chain head) and the SHA-256 of the\n' +
    'body. For CSV: signature, body hash, row count and sequence range, and that\n' +
    'no cell starts like a spreadsheet formula; its manifest is the file beside it\n' +
    '(FILE.jws, as m2m audit export saves it, or --manifest). --schema\n' +
    "also validates the document and each event against GS1's EPCIS JSON Schema.\n" +
    'Reads FILE once, line by line. Exits 0 when everything holds, 1 naming the\n' +
    'first record (seq and problem) or manifest check that does not.\n' +
    'Without FILE, --checkpoint NOTE_FILE (a checkpoint note saved earlier from\n' +
    'GET /epcis/checkpoints/latest/note) checks the live log: the note is signed\n' +
    'by the audit key (--keys, --vkey, or the key set the service publishes) and a\n' +
    'consistency proof shows the current log extends it. A log cut back, its\n' +
    'checkpoints with it, or rewritten before that size, exits 1.\n' +
    'With FILE, --checkpoint checks that the export extends the saved checkpoint:\n' +
    'the tree of its records (leaf: the RFC 8785 JSON of {seq, prevHash, event})\n' +
    "has the note's root at the note's size. Only a complete (unfiltered) JSON-LD\n" +
    'export holds every record to rebuild it from; others are a usage error.\n' +
    'A JWS checkpoint from before the tree (m2m-audit-checkpoint+jws, the chain\n' +
    'head at a seq) is accepted too: the record at that seq must have that hash\n' +
    '(against the live log: the note the service signed at that seq must name it).',
  options: {
    keys: { type: 'string', value: 'JWKS_FILE', file: true, description: "the service's key set (default: fetched from the service's /epcis/checkpoints/keys)" },
    schema: { type: 'string', value: 'FILE', file: true, description: "GS1's EPCIS-JSON-Schema.json: also validate the document and every event" },
    manifest: { type: 'string', value: 'JWS_FILE', file: true, description: "a CSV export's signed manifest (default: FILE.jws beside it)" },
    checkpoint: { type: 'string', value: 'CHECKPOINT_FILE', file: true, description: 'a checkpoint note (or JWS checkpoint) saved earlier: prove the live log, or FILE, extends it' },
    vkey: VKEY_OPTION,
  },
  async run(invocation) {
    const { values, positionals, output, cwd } = invocation;
    const [given] = positionals;
    const checkpoint = stringOption(values, 'checkpoint');
    if (given === undefined && checkpoint !== undefined) {
      const result = await verifyAgainstLog(invocation, resolve(cwd, checkpoint));
      output.result(result, () => `${result.ok ? 'VERIFIED' : `NOT VERIFIED: ${result.fault}`}\n${renderFields(result.lines)}`);
      return result.ok ? ExitCode.Ok : ExitCode.Refused;
    }
    if (given === undefined) throw new UsageError('Name the export file: m2m audit verify FILE, or --checkpoint NOTE_FILE');
    const file = resolve(cwd, given);
    try {
      if (!statSync(file).isFile()) throw new ConfigError(`${file} is not a file`);
    } catch (error) {
      throw error instanceof ConfigError ? error : new ConfigError(`Cannot read ${file}: ${(error as Error).message}`);
    }
    const schemaPath = stringOption(values, 'schema');
    const schema = schemaPath === undefined ? undefined : loadEpcisSchema(resolve(cwd, schemaPath));
    const manifestPath = stringOption(values, 'manifest');
    const manifest = manifestPath === undefined ? undefined : resolve(cwd, manifestPath);
    const keys = keySource(invocation);

    // A saved checkpoint, opened before the file is read: a bad one stops here.
    let saved: { path: string; checkpoint: SavedCheckpoint; prefix: CheckpointPrefix } | undefined;
    if (checkpoint !== undefined) {
      await expectCompleteJsonLd(file, manifest);
      const path = resolve(cwd, checkpoint);
      const opened = await openSavedCheckpoint(readNoteFile(path), (await keys()).keySet, stringOption(values, 'vkey'));
      if (!opened) {
        const result = { ok: false, file, checkpoint: { file: path, fault: `${path} is neither a checkpoint note nor a JWS checkpoint signed by the audit key` } };
        output.result(result, () => `NOT VERIFIED: ${result.checkpoint.fault}`);
        return ExitCode.Refused;
      }
      saved = { path, checkpoint: opened, prefix: new CheckpointPrefix(opened) };
    }

    let progress: Progress | undefined;
    let report: VerifyReport;
    try {
      report = await verifyExportFile({
        file,
        keys,
        ...(schema ? { schema } : {}),
        ...(manifest === undefined ? {} : { manifest }),
        ...(saved ? { onLeaf: saved.prefix.onLeaf } : {}),
        onProgress: (bytes, total) => (progress ??= output.progress({ label: 'verifying', unit: 'bytes', total })).update(bytes),
      });
    } finally {
      progress?.stop();
    }
    if (!saved) {
      output.result(report, () => describe(report));
      return report.ok ? ExitCode.Ok : ExitCode.Refused;
    }
    // The checkpoint is judged only over an export that holds on its own.
    const { prefix } = saved;
    const fault = report.ok ? prefix.fault() : 'not reached: the export itself does not verify';
    const withCheckpoint = {
      ...report,
      ok: report.ok && fault === null,
      checkpoint: { file: saved.path, saved: describeSaved(saved.path, saved.checkpoint), fault, proven: fault === null ? prefix.proven() : null },
    };
    output.result(withCheckpoint, () => {
      const lines = renderFields([
        ['checkpoint', withCheckpoint.checkpoint.saved],
        ['extends it', fault === null ? prefix.proven() : fault],
      ]);
      const text = describe(report);
      return report.ok && fault !== null ? `NOT VERIFIED: ${fault}\n${text.slice(text.indexOf('\n') + 1)}\n${lines}` : `${text}\n${lines}`;
    });
    return withCheckpoint.ok ? ExitCode.Ok : ExitCode.Refused;
  },
};
