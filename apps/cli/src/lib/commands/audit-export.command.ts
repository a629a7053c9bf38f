import { unverifiedManifest } from '@m2m-trust/audit-export';
import { EXPORT_FORMATS, type ExportFormat, isM2MError, type M2MClient } from '@m2m-trust/sdk';

import { createWriteStream, existsSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ReadableStream as NodeReadableStream } from 'node:stream/web';

import { detachedManifestPath, readExportTrailer } from '../audit/export-trailer';
import { type Command, requiredString, stringOption } from '../cli.command';
import { ConfigError } from '../cli.error';
import { ExitCode } from '../exit-code';
import { type Progress } from '../output/progress.bar';
import { renderFields } from '../output/table.formatter';
import { FILTER_OPTIONS, filtersOf } from './audit-filter.options';

/**
 * Passes the export through untouched, counting its bytes and lines on the
 * way: every event of either format is one line, which is all a progress bar
 * needs (the summary afterwards comes from the manifest, not from this count).
 */
class ExportMeter extends Transform {
  bytes = 0;
  private lines = 0;

  constructor(private readonly progress: Progress) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) this.lines++;
    // The first line is the document's head or the CSV header, not an event.
    this.progress.update(Math.max(0, this.lines - 1));
    done(null, chunk);
  }
}

/** The whole log's size, for the bar: the latest checkpoint's sequence number. Unknown is fine; the bar then counts without a total. */
async function expectedEvents(client: M2MClient): Promise<number | undefined> {
  try {
    return (await client.audit.latestCheckpoint({ timeoutMs: 5_000 })).seq;
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Never created, or already moved into place.
  }
}

const MIB = 1024 * 1024;

export const auditExportCommand: Command = {
  path: ['audit', 'export'],
  summary: 'Download a compliance export of the audit log, with its signed manifest, to a file',
  usage: '--out FILE [--format jsonld|xml|csv] [--force] [filters]',
  details:
    'Streams GET /epcis/export to FILE as it arrives (never held in memory): every\n' +
    'event matching the filters (the same flags as m2m audit query), in record order,\n' +
    'then a manifest signed by the service (count, sequence range, chain head, body\n' +
    'hash). Without filters the export is complete: every record from 1. JSON-LD\n' +
    'and XML carry every event as stored, then the chain links, then the manifest;\n' +
    'CSV is a plain table (one summary row per event) and its manifest is saved\n' +
    'beside it as FILE.jws.\n' +
    'The file appears only once the download is whole. Check it, here or anywhere,\n' +
    'with m2m audit verify FILE. A progress bar shows on a terminal.',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', file: true, description: 'where to write the export' },
    format: { type: 'string', value: 'FORMAT', choices: EXPORT_FORMATS, description: 'jsonld (default: EPCIS 2.0 JSON-LD), xml (EPCIS 2.0 XML) or csv (and FILE.jws, its manifest)' },
    force: { type: 'boolean', description: 'replace FILE if it exists' },
    ...FILTER_OPTIONS,
  },
  async run({ values, output, cwd, operatorClient }) {
    const file = resolve(cwd, requiredString(values, 'out'));
    const format = (stringOption(values, 'format') ?? 'jsonld') as ExportFormat;
    const filters = filtersOf(values);
    const manifestFile = detachedManifestPath(file);
    for (const target of format === 'csv' ? [file, manifestFile] : [file]) {
      if (values['force'] !== true && existsSync(target)) throw new ConfigError(`${target} exists; pass --force to replace it`);
    }
    const client = operatorClient();
    const filtered = Object.keys(filters).length > 0;
    // A filtered export holds an unknown share of the log: its bar counts without a total.
    const total = output.showsProgress && !filtered ? await expectedEvents(client) : undefined;

    const exported = await client.audit.exportEvents(filters, { format });
    // Written beside the target and moved into place when whole: a cut-off download never looks like an export.
    const partial = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
    const progress = output.progress({ label: 'exporting', unit: 'events', total });
    const meter = new ExportMeter(progress);
    try {
      await pipeline(Readable.fromWeb(exported.body as NodeReadableStream<Uint8Array>), meter, createWriteStream(partial, { flags: 'wx' }));
      progress.stop();
      let jws: string | null;
      if (format === 'csv') {
        // A plain table: its manifest, for exactly this snapshot and these filters, is fetched and saved beside it.
        if (exported.snapshotSeq === null) throw new ConfigError('The service sent a CSV export without the link to its manifest; nothing was written');
        jws = await client.audit.exportManifest(filters, { snapshot: exported.snapshotSeq });
      } else {
        const trailer = await readExportTrailer(partial);
        jws = 'problem' in trailer ? null : trailer.jws;
      }
      const manifest = jws === null ? null : unverifiedManifest(jws);
      if (manifest === null) throw new ConfigError(`The export from the service ended without its manifest (${meter.bytes} bytes received); nothing was written to ${file}`);
      if (format === 'csv') writeFileSync(manifestFile, `${jws}\n`);
      renameSync(partial, file);
      const summary = {
        file,
        ...(format === 'csv' ? { manifest: manifestFile } : {}),
        format,
        bytes: meter.bytes,
        count: manifest.count,
        firstSeq: manifest.firstSeq,
        lastSeq: manifest.lastSeq,
        chainHead: manifest.chainHead,
        snapshotSeq: manifest.snapshotSeq,
        complete: manifest.complete,
        filters: manifest.filters,
      };
      const range = manifest.firstSeq === null ? 'no records' : `seq ${manifest.firstSeq}-${manifest.lastSeq}`;
      const scope = manifest.complete
        ? `complete: every record up to ${manifest.snapshotSeq}`
        : `filtered (${Object.entries(manifest.filters).map(([name, value]) => `${name}=${value}`).join(', ')}) from the log's ${manifest.snapshotSeq} records`;
      output.result(summary, () =>
        renderFields([
          ['exported', `${manifest.count} event${manifest.count === 1 ? '' : 's'}, ${range}`],
          ['export', scope],
          ['file', `${file} (${format}, ${(meter.bytes / MIB).toFixed(1)} MiB)`],
          ['manifest', format === 'csv' ? manifestFile : undefined],
          ['chain head', manifest.chainHead ?? undefined],
        ]),
      );
      if (!output.json) output.note(`Check it with: m2m audit verify ${file}`);
      return ExitCode.Ok;
    } catch (error) {
      unlinkQuietly(partial);
      if (isM2MError(error) || error instanceof ConfigError) throw error;
      // Anything else here is the local file: no space, no permission.
      throw new ConfigError(`Cannot write ${file}: ${(error as Error).message}`);
    } finally {
      progress.stop();
    }
  },
};
