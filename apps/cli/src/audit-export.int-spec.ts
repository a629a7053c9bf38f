import { EPCIS_PREFIXES, recordHash, splitChainLink, withChainLink } from '@m2m-trust/audit-domain';
import { computeEventHashId } from '@m2m-trust/audit-event-hash';
import { splitExport } from '@m2m-trust/audit-export';
import { generateKeyPair, M2MClient } from '@m2m-trust/sdk';
import { type RunningGateway, startGateway } from '@m2m-trust/sdk/testing';

import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CompactJWSHeaderParameters, CompactSign } from 'jose';

import { CLI } from './testing/cli.process';

// m2m audit export and m2m audit verify, built (npm run build), against the
// built gateway: a real export, verified, then copies of it tampered with the
// ways an intruder or an accident would, each of which must exit 1 naming
// what no longer holds.


/** GS1's schema, kept outside the repository beside it (as e2e/support/epcis-schema.ts finds it). */
const EPCIS_SCHEMA = resolve(__dirname, '../../../../shared/epcis/schema/EPCIS-JSON-Schema.json');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Report {
  ok: boolean;
  format: string;
  keys: { source: string; location: string };
  manifest: { count: number; firstSeq: number; lastSeq: number; complete: boolean; filters: Record<string, string> } | null;
  body: { count: number; firstSeq: number; lastSeq: number } | null;
  schema: { checked: boolean; path: string | null };
  fault: { scope: string; problem: string; seq?: number | null } | null;
}

let gateway: RunningGateway;
let workDir: string;
let full: string;
let csv: string;
let xml: string;
let keysFile: string;
const DEVICES = 3;

function m2m(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { PATH: process.env['PATH'], HOME: workDir, M2M_URL: gateway.url, M2M_API_KEY: gateway.adminKey, ...env };
  const childEnv = Object.fromEntries(Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: workDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

const file = (name: string): string => join(workDir, name);

/**
 * A copy of `source` with its lines changed. JSON-LD: `[0]` is the document
 * head, `[1..n]` the events, `[n+1]` opens the chain section, `[n+2..2n+1]`
 * their links, then `],"m2m:manifest":…}`.
 */
function tampered(source: string, name: string, change: (lines: string[]) => void): string {
  const lines = readFileSync(source, 'utf8').split('\n');
  change(lines);
  writeFileSync(file(name), lines.join('\n'));
  return file(name);
}

/** An event line as an object (its separating comma dropped), and back. */
const parseLine = (line: string): Record<string, unknown> => JSON.parse(line.replace(/,$/, '')) as Record<string, unknown>;
const formatLine = (value: Record<string, unknown>, original: string): string => JSON.stringify(value) + (original.endsWith(',') ? ',' : '');

/** The CBV event hash ID the event's content calls for (its own eventID aside). */
function eventHashIdOf(event: Readonly<Record<string, unknown>>): string {
  const content: Record<string, unknown> = { ...event };
  delete content['eventID'];
  return computeEventHashId(content, EPCIS_PREFIXES);
}

/** The line of the chain section that holds the link of the event on line `index`. */
const linkLine = (lines: readonly string[], index: number): number => lines.indexOf(']},"m2m:chain":[') + index;

/** Removes the record whose event is on line `index`, event and link, the way an intruder would (the list's commas kept right). */
function removeRecord(lines: string[], index: number): void {
  const link = linkLine(lines, index);
  for (const at of [link, index]) {
    lines.splice(at, 1);
    if (!lines[at - 1]!.startsWith('{') || lines[at]!.startsWith('{')) continue;
    lines[at - 1] = lines[at - 1]!.replace(/,$/, ''); // it was the last of its list
  }
}

/** Swaps the records whose events are on lines `a` and `b`, events and links alike. */
function swapRecords(lines: string[], a: number, b: number): void {
  const [linkA, linkB] = [linkLine(lines, a), linkLine(lines, b)];
  for (const [x, y] of [
    [a, b],
    [linkA, linkB],
  ] as const) {
    const [first, second] = [parseLine(lines[x]!), parseLine(lines[y]!)];
    [lines[x], lines[y]] = [formatLine(second, lines[x]!), formatLine(first, lines[y]!)];
  }
}

/** Edits record `index`'s event the way a careful intruder would: a new event hash ID, and every record hash from there on recomputed. */
function rewriteChain(lines: string[], index: number, edit: (event: Record<string, unknown>) => void): void {
  let prevHash: string | null = null;
  for (let i = index; lines[i]!.startsWith('{'); i++) {
    const event = parseLine(lines[i]!);
    const { link } = splitChainLink(parseLine(lines[linkLine(lines, i)]!))!;
    if (i === index) {
      edit(event);
      event['eventID'] = eventHashIdOf(event);
    }
    const prev: string = prevHash ?? link.prevHash;
    const hash = recordHash(link.seq, prev, event);
    lines[i] = formatLine(event, lines[i]!);
    lines[linkLine(lines, i)] = formatLine(withChainLink({}, { seq: link.seq, prevHash: prev, hash }), lines[linkLine(lines, i)]!);
    prevHash = hash;
  }
}

async function verify(path: string, ...extra: string[]): Promise<Report & { code: number | null; text: string }> {
  const human = await m2m(['audit', 'verify', path, '--keys', keysFile, ...extra]);
  const json = await m2m(['audit', 'verify', path, '--keys', keysFile, ...extra, '--json']);
  expect(json.code).toBe(human.code);
  return { ...(JSON.parse(json.stdout) as Report), code: human.code, text: human.stdout };
}

beforeAll(async () => {
  gateway = await startGateway();
  workDir = mkdtempSync(join(tmpdir(), 'm2m-cli-export-'));
  const client = new M2MClient({ baseUrl: gateway.url, apiKey: gateway.adminKey, audience: gateway.audience });
  for (let i = 0; i < DEVICES; i++) {
    const { privateKey, publicKeyHex } = await generateKeyPair();
    const deviceId = `export-${process.pid}-${i}`;
    await client.m2m.registerDevice({ deviceId, publicKey: publicKeyHex, label: `Meter ${i}, "east"` });
    await client.m2m.authenticate({ deviceId, privateKey });
    if (i !== 1) await client.m2m.revokeDevice(deviceId, { reason: 'retired, "finally"' });
  }
  keysFile = file('keys.json');
  writeFileSync(keysFile, JSON.stringify(await client.audit.checkpointKeys()));
  full = file('full.jsonld');
  csv = file('full.csv');
  xml = file('full.xml');
  for (const [out, format] of [
    [full, 'jsonld'],
    [csv, 'csv'],
    [xml, 'xml'],
  ]) {
    const run = await m2m(['audit', 'export', '--out', out!, '--format', format!]);
    if (run.code !== 0) throw new Error(`export failed: ${run.stdout}${run.stderr}`);
  }
});
afterAll(async () => {
  await gateway?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const RECORDS = DEVICES * 2 + (DEVICES - 1);

describe('m2m audit export', () => {
  it('streams a complete export to the file and summarises it from the manifest', async () => {
    const run = await m2m(['audit', 'export', '--out', 'again.jsonld', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      file: file('again.jsonld'),
      format: 'jsonld',
      count: RECORDS,
      firstSeq: 1,
      lastSeq: RECORDS,
      snapshotSeq: RECORDS,
      complete: true,
      filters: {},
      chainHead: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const text = readFileSync(file('again.jsonld'), 'utf8');
    // The head, the events, the chain section's opening, the links, its end with the manifest, and the final newline.
    expect(text.split('\n')).toHaveLength(2 * RECORDS + 4);
    expect(text).toMatch(/^\{"@context":/);

    const human = await m2m(['audit', 'export', '--out', 'again.jsonld', '--force']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^exported: +${RECORDS} events, seq 1-${RECORDS}$`, 'm'));
    expect(human.stdout).toMatch(/^export: +complete/m);
    expect(human.stderr).toContain('m2m audit verify');
  });

  it('refuses to replace a file without --force, and leaves nothing behind when the service refuses', async () => {
    const exists = await m2m(['audit', 'export', '--out', full]);
    expect(exists.code).toBe(3);
    expect(exists.stderr).toContain('--force');

    const refused = await m2m(['audit', 'export', '--out', 'refused.jsonld'], { M2M_API_KEY: 'not-the-admin-key-0123456789' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('UNAUTHORIZED');
    const bad = await m2m(['audit', 'export', '--out', 'bad.jsonld', '--param', 'EQ_colour=red']);
    expect(bad.code).toBe(1);
    expect(readdirSync(workDir).filter((name) => name.includes('refused') || name.includes('bad'))).toEqual([]);
  });
});

describe('m2m audit verify', () => {
  it('verifies an untouched JSON-LD export: signature, body hash, claims, every record and the chain', async () => {
    const report = await verify(full);
    expect(report).toMatchObject({
      code: 0,
      ok: true,
      format: 'jsonld',
      keys: { source: 'file', location: keysFile },
      manifest: { count: RECORDS, firstSeq: 1, lastSeq: RECORDS, complete: true },
      body: { count: RECORDS, firstSeq: 1, lastSeq: RECORDS },
      schema: { checked: false },
      fault: null,
    });
    expect(report.text).toMatch(/^VERIFIED$/m);
    expect(report.text).toMatch(/the chain contiguous from record 1/);
    expect(report.text).toMatch(/^schema: +not checked/m);
  });

  it('fetches the key set from the configured service when none is given, and says so', async () => {
    const run = await m2m(['audit', 'verify', full]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`the key set of the service, ${gateway.url}/epcis/checkpoints/keys`);
    const offline = await m2m(['audit', 'verify', full], { M2M_URL: undefined });
    expect(offline.code).toBe(3);
    expect(offline.stderr).toContain('--keys');
  });

  it("validates the document and every event against GS1's EPCIS JSON Schema when given it", async () => {
    const report = await verify(full, '--schema', EPCIS_SCHEMA);
    expect(report).toMatchObject({ code: 0, ok: true, schema: { checked: true, path: EPCIS_SCHEMA } });
    expect(report.text).toMatch(/^schema: +valid against .*EPCIS-JSON-Schema\.json/m);
  });

  it('verifies a CSV export with the manifest saved beside it: signature, body hash, row count and range', async () => {
    expect(existsSync(`${csv}.jws`)).toBe(true);
    const report = await verify(csv);
    expect(report).toMatchObject({ code: 0, ok: true, format: 'csv', body: { count: RECORDS, firstSeq: 1, lastSeq: RECORDS } });
  });

  it('verifies an XML export: signature, body hash, event count and range', async () => {
    const report = await verify(xml);
    expect(report).toMatchObject({ code: 0, ok: true, format: 'xml', body: { count: RECORDS, firstSeq: 1, lastSeq: RECORDS } });
  });

  it('verifies a filtered export as partial: each record on its own, in increasing order', async () => {
    expect((await m2m(['audit', 'export', '--out', 'deleted.jsonld', '--action', 'DELETE'])).code).toBe(0);
    const report = await verify(file('deleted.jsonld'));
    expect(report).toMatchObject({ code: 0, ok: true, manifest: { count: DEVICES - 1, complete: false, filters: { EQ_action: 'DELETE' } } });
    expect(report.text).toMatch(/^export: +partial \(filtered: EQ_action=DELETE\)/m);
    expect(report.text).toContain('each record on its own and in increasing order');

    const swapped = tampered(file('deleted.jsonld'), 'deleted-swapped.jsonld', (lines) => swapRecords(lines, 1, 2));
    const original = readFileSync(file('deleted.jsonld'), 'utf8').split('\n');
    const seqs = [1, 2].map((i) => parseLine(original[linkLine(original, i)]!)['m2m:seq']);
    expect(await verify(swapped)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'sequence_gap', seq: seqs[0] } });
  });

  it('still verifies an export from before the chain section (links inside the events), and says its eventIDs are not GS1 hashes of the events as written', async () => {
    // Rewritten in the old layout and signed as the service then signed it: its key, its claims without chainStart.
    const lines = readFileSync(full, 'utf8').split('\n');
    const events = lines.slice(1, RECORDS + 1).map((line, i) => withChainLink(parseLine(line), splitChainLink(parseLine(lines[linkLine(lines, i + 1)]!))!.link));
    const body = `${lines[0]}\n${events.map((event) => JSON.stringify(event)).join(',\n')}\n]}`;
    const jws = splitExport(readFileSync(full))!.jws.split('.');
    const { chainStart, ...claims } = JSON.parse(Buffer.from(jws[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(chainStart).toEqual(expect.any(Number));
    const key = createPrivateKey(readFileSync(join(gateway.dataDir, 'audit-signing-key.pem')));
    const legacy = await new CompactSign(Buffer.from(JSON.stringify({ ...claims, bodySha256: createHash('sha256').update(body).digest('hex') })))
      .setProtectedHeader(JSON.parse(Buffer.from(jws[0]!, 'base64url').toString()) as CompactJWSHeaderParameters)
      .sign(key);
    writeFileSync(file('legacy.jsonld'), `${body},"m2m:manifest":${JSON.stringify(legacy)}}\n`);

    const report = await verify(file('legacy.jsonld'), '--schema', EPCIS_SCHEMA);
    expect(report).toMatchObject({ code: 0, ok: true, body: { count: RECORDS, firstSeq: 1, lastSeq: RECORDS } });
    expect(report.text).toMatch(/^layout: +chain links inside the events .*GS1's event hash of these events as written is not their eventID/m);
    expect((await verify(full)).text).toMatch(/^layout: +chain section after the events/m);
  });

  describe('exits 1 naming the first thing that no longer holds', () => {
    it('an edited event field: the record whose content no longer matches its event hash ID', async () => {
      const path = tampered(full, 'edited.jsonld', (lines) => {
        const event = parseLine(lines[2]!);
        lines[2] = formatLine({ ...event, disposition: 'non_conformant' }, lines[2]!);
      });
      const report = await verify(path);
      expect(report).toMatchObject({ code: 1, ok: false, fault: { scope: 'record', problem: 'event_id_mismatch', seq: 2 } });
      expect(report.text).toMatch(/^NOT VERIFIED: record seq 2 \(line 3\): event_id_mismatch/m);
    });

    it('an edit with a recomputed event hash ID: the record hash', async () => {
      const path = tampered(full, 'edited-rehashed-event.jsonld', (lines) => {
        const edited = { ...parseLine(lines[2]!), disposition: 'non_conformant' };
        lines[2] = formatLine({ ...edited, eventID: eventHashIdOf(edited) }, lines[2]!);
      });
      expect(await verify(path)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'record_hash_mismatch', seq: 2 } });
    });

    it('an edit with the whole chain rehashed after it: the signed chain head (and, with --schema, the event)', async () => {
      const path = tampered(full, 'rewritten.jsonld', (lines) => rewriteChain(lines, 2, (event) => (event['action'] = 'REMOVE')));
      expect(await verify(path)).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'chain_head_mismatch' } });
      expect(await verify(path, '--schema', EPCIS_SCHEMA)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'schema_invalid', seq: 2 } });
    });

    it('an edited link in the chain section: that record', async () => {
      const path = tampered(full, 'edited-link.jsonld', (lines) => (lines[linkLine(lines, 3)] = lines[linkLine(lines, 3)]!.replace(/"m2m:recordHash":"[0-9a-f]/, '"m2m:recordHash":"x')));
      expect(await verify(path)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'malformed_record', seq: null } });
    });

    it('a removed event without its link: the event paired with the next link', async () => {
      const path = tampered(full, 'removed-event.jsonld', (lines) => lines.splice(3, 1));
      expect(await verify(path)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'record_hash_mismatch', seq: 3 } });
    });

    it('a removed record (event and link): the record after the gap', async () => {
      const path = tampered(full, 'removed.jsonld', (lines) => removeRecord(lines, 3));
      const report = await verify(path);
      expect(report).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'sequence_gap', seq: 4 } });
      expect(report.text).toContain('record seq 4 (line 4): sequence_gap');
    });

    it('two swapped records: the first record out of place', async () => {
      const path = tampered(full, 'swapped.jsonld', (lines) => swapRecords(lines, 3, 4));
      expect(await verify(path)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'sequence_gap', seq: 4 } });
    });

    it('the last record removed: the count the manifest signs', async () => {
      const path = tampered(full, 'truncated.jsonld', (lines) => removeRecord(lines, RECORDS));
      expect(await verify(path)).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'count_mismatch' } });
    });

    it('an edited manifest: its signature', async () => {
      const path = tampered(full, 'manifest.jsonld', (lines) => {
        const at = lines.findIndex((line) => line.includes('"m2m:manifest"'));
        const [head, payload, signature] = (JSON.parse(lines[at]!.slice(lines[at]!.indexOf(':"') + 1, -1)) as string).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
        const forged = Buffer.from(JSON.stringify({ ...claims, count: 1_000 })).toString('base64url');
        lines[at] = `],"m2m:manifest":${JSON.stringify([head, forged, signature].join('.'))}}`;
      });
      const report = await verify(path);
      expect(report).toMatchObject({ code: 1, manifest: null, fault: { scope: 'manifest', problem: 'signature_invalid' } });
      expect(report.text).toMatch(/^NOT VERIFIED: manifest: signature_invalid/m);
    });

    it('a body byte changed after the manifest was computed: the body hash', async () => {
      const path = tampered(full, 'body.jsonld', (lines) => (lines[0] = lines[0]!.replace(/"creationDate":"(\d)/, (_, digit: string) => `"creationDate":"${(Number(digit) + 1) % 10}`)));
      expect(await verify(path)).toMatchObject({ code: 1, body: { count: RECORDS }, fault: { scope: 'manifest', problem: 'body_hash_mismatch' } });
    });

    it('a wrong key set: no key for the signer, or an impostor key under its id', async () => {
      const jwk = (): Record<string, unknown> => generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
      const realKid = (JSON.parse(readFileSync(keysFile, 'utf8')) as { keys: { kid: string }[] }).keys[0]!.kid;
      writeFileSync(file('other-keys.json'), JSON.stringify({ keys: [{ ...jwk(), kid: 'someone-else' }] }));
      writeFileSync(file('impostor-keys.json'), JSON.stringify({ keys: [{ ...jwk(), kid: realKid }] }));

      const other = await m2m(['audit', 'verify', full, '--keys', file('other-keys.json')]);
      expect(other.code).toBe(1);
      expect(other.stdout).toMatch(/^NOT VERIFIED: manifest: key_not_found/m);
      expect(other.stdout).toContain(file('other-keys.json'));
      const impostor = await m2m(['audit', 'verify', full, '--keys', file('impostor-keys.json'), '--json']);
      expect(impostor.code).toBe(1);
      expect(JSON.parse(impostor.stdout)).toMatchObject({ ok: false, fault: { problem: 'signature_invalid' } });
    });

    it('a changed or removed CSV row: the body hash, the row count; a formula put in a cell: that row', async () => {
      const manifest = ['--manifest', `${csv}.jws`];
      const changed = tampered(csv, 'changed.csv', (lines) => (lines[2] = lines[2]!.replace('OBSERVE', 'ADD')));
      expect(await verify(changed, ...manifest)).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'body_hash_mismatch' } });
      const removed = tampered(csv, 'removed.csv', (lines) => lines.splice(2, 1));
      expect(await verify(removed, ...manifest)).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'count_mismatch' } });
      const formula = tampered(csv, 'formula.csv', (lines) => (lines[2] = lines[2]!.replace(',OBSERVE,', ',=1+2,')));
      expect(await verify(formula, ...manifest)).toMatchObject({ code: 1, fault: { scope: 'record', problem: 'unsafe_cell', line: 3 } });
    });

    it('a CSV without the manifest beside it: says where it is looked for', async () => {
      writeFileSync(file('alone.csv'), readFileSync(csv));
      const report = await verify(file('alone.csv'));
      expect(report).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'manifest_missing' } });
      expect(report.text).toContain(`${file('alone.csv')}.jws is missing`);
    });

    it('a changed or removed XML event: the body hash, the event count', async () => {
      const changed = tampered(xml, 'changed.xml', (lines) => (lines[3] = lines[3]!.replace('<action>OBSERVE</action>', '<action>ADD</action>')));
      expect(await verify(changed)).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'body_hash_mismatch' } });
      const removed = tampered(xml, 'removed.xml', (lines) => {
        lines.splice(lines.indexOf('</EventList></EPCISBody><m2m:chain>') + 2, 1);
        lines.splice(3, 1);
      });
      expect(await verify(removed)).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'count_mismatch' } });
      const unpaired = tampered(xml, 'unpaired.xml', (lines) => lines.splice(3, 1));
      expect(await verify(unpaired)).toMatchObject({ code: 1, fault: { scope: 'document', problem: 'document_malformed' } });
    });

    it('a file cut off before its manifest', async () => {
      const text = readFileSync(full, 'utf8');
      writeFileSync(file('cut.jsonld'), text.slice(0, text.length / 2));
      expect(await verify(file('cut.jsonld'))).toMatchObject({ code: 1, fault: { scope: 'manifest', problem: 'manifest_missing' } });
      expect(existsSync(full)).toBe(true);
    });
  });
});
