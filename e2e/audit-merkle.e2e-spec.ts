import { eventually } from '@m2m-trust/shared-domain/testing';

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import { runCli } from '../apps/cli/src/testing/cli.process';
import { Api, authenticate, newDevice, register } from './support/client';
import { newDataDir, type RunningServer, startServer } from './support/server';
import { expectConsistencyProved, expectEveryEventIncluded, goVerifier, type GoVerify, latestJws, latestNote, noteSize, saveExport } from './support/tlog';

// The audit log as a transparency log, checked by what users of the standards
// run: checkpoint notes opened with golang.org/x/mod/sumdb/note and
// transparency-dev/formats, inclusion and consistency proofs verified by
// transparency-dev/merkle's RFC 6962 verifier (tools/tlog-verify), on what a
// real embedded server answers; the CLI against a saved checkpoint.

let goVerify: GoVerify;
beforeAll(() => {
  goVerify = goVerifier();
});

async function addEvents(api: Api, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const device = newDevice('merkle');
    expect((await register(api, device)).status).toBe(201);
    await authenticate(api, device);
  }
}

async function allEvents(api: Api): Promise<Record<string, unknown>[]> {
  const answer = await api.get<{ epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } } }>('/epcis/events?perPage=1000');
  return answer.body.epcisBody.queryResults.resultsBody.eventList;
}

describe('the audit log as an RFC 9162 transparency log (embedded)', () => {
  const work = mkdtempSync(join(tmpdir(), 'm2m-merkle-'));
  const publishFile = join(work, 'published.txt');
  const posted: { type: string | undefined; body: string }[] = [];
  let receiver: Server;
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    let refusals = 1;
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        // The first delivery is refused: the note comes again.
        if (refusals-- > 0) return void response.writeHead(503).end();
        posted.push({ type: request.headers['content-type'], body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    server = await startServer({
      env: {
        M2M_AUDIT_CHECKPOINT_PUBLISH_FILE: publishFile,
        M2M_AUDIT_CHECKPOINT_PUBLISH_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notes`,
      },
    });
    api = new Api(server.url, server.adminKey);
  });

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it("signs checkpoint notes Go's note and checkpoint parsers open, and proves inclusion and consistency to transparency-dev's verifier", async () => {
    await addEvents(api, 3);
    const first = await latestNote(server.url);
    const latest = (await new Api(server.url, null).get<{ treeSize: number; rootHash: string; note: string; origin: string; verifierKey: string }>('/epcis/checkpoints/latest')).body;
    expect(latest.note).toBe(first);
    const vkey = (await new Api(server.url, null).get<string>('/epcis/checkpoints/vkey')).body.trim();
    expect(vkey).toBe(latest.verifierKey);
    const origin = first.split('\n')[0] as string;
    expect(origin).toBe(latest.origin);
    const firstFile = join(work, 'first.note');
    writeFileSync(firstFile, first);
    expect(await goVerify('checkpoint', vkey, origin, firstFile)).toEqual({ ok: true, out: `size ${latest.treeSize} root ${latest.rootHash}` });

    await addEvents(api, 4);
    const second = await latestNote(server.url);
    const secondFile = join(work, 'second.note');
    writeFileSync(secondFile, second);
    const size = noteSize(second);
    expect(size).toBeGreaterThan(latest.treeSize);

    await expectConsistencyProved(server.url, goVerify, vkey, { note: first, file: firstFile }, { note: second, file: secondFile });

    const events = await allEvents(api);
    expect(events.length).toBe(size);
    await expectEveryEventIncluded({ api, events, goVerify, vkey, noteFile: secondFile, note: second, work });
    // An edited note does not open.
    const edited = join(work, 'edited.note');
    writeFileSync(edited, second.replace(`\n${size}\n`, `\n${size + 1}\n`));
    expect(await goVerify('checkpoint', vkey, origin, edited)).toMatchObject({ ok: false });
  });

  it('answers problem+json for an unknown event and for tree sizes the log does not have', async () => {
    const size = noteSize(await latestNote(server.url));
    const [event] = await allEvents(api);
    const id = encodeURIComponent(event?.['eventID'] as string);
    const cases: [string, number, string][] = [
      [`/epcis/events/${encodeURIComponent('ni:///sha-256;00?ver=CBV2.0')}/proof`, 404, 'EVENT_NOT_FOUND'],
      [`/epcis/events/${id}/proof?treeSize=${size + 100}`, 400, 'QUERY_PARAMETER_INVALID'],
      [`/epcis/events/${id}/proof?treeSize=-1`, 400, 'QUERY_PARAMETER_INVALID'],
      [`/epcis/events/${id}/proof?treeSize=0`, 400, 'QUERY_PARAMETER_INVALID'],
      [`/epcis/events/${id}/proof?size=3`, 400, 'QUERY_PARAMETER_INVALID'],
      [`/epcis/checkpoints/consistency?from=${size}&to=1`, 400, 'QUERY_PARAMETER_INVALID'],
      [`/epcis/checkpoints/consistency?from=1&to=${size + 1}`, 400, 'QUERY_PARAMETER_INVALID'],
      ['/epcis/checkpoints/consistency', 400, 'QUERY_PARAMETER_INVALID'],
      ['/epcis/checkpoints/consistency?from=1.5', 400, 'QUERY_PARAMETER_INVALID'],
    ];
    for (const [path, status, code] of cases) {
      const answer = await api.get<{ code: string }>(path);
      expect({ path, status: answer.status, type: answer.headers.get('content-type'), code: answer.body.code }).toEqual({
        path,
        status,
        type: expect.stringMatching(/^application\/problem\+json/),
        code,
      });
    }
    expect((await new Api(server.url, null).get(`/epcis/events/${id}/proof`)).status).toBe(401);
  });

  it('publishes every note it signs to the file and, after a refused delivery, to the webhook as text/plain', async () => {
    const note = await latestNote(server.url);
    await eventually('the newest note published', () => readFileSync(publishFile, 'utf8').endsWith(note) && posted.some((p) => p.body === note));
    const published = readFileSync(publishFile, 'utf8');
    expect(published.split(/(?<=\n\u2014 [^\n]+\n)/).filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(posted.every((p) => p.type?.startsWith('text/plain'))).toBe(true);
  });

  it('the CLI proves an event against a saved note and that the live log extends it', async () => {
    const saved = join(work, 'saved.note');
    writeFileSync(saved, await latestNote(server.url));
    const [event] = await allEvents(api);
    const env = { M2M_URL: server.url, M2M_API_KEY: server.adminKey, PATH: process.env['PATH'] };
    const proof = await runCli(['audit', 'proof', event?.['eventID'] as string, '--checkpoint', saved], { cwd: work, env });
    expect(proof).toMatchObject({ code: 0, stdout: expect.stringContaining('VERIFIED') });
    await addEvents(api, 1);
    const verify = await runCli(['audit', 'verify', '--checkpoint', saved], { cwd: work, env });
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringContaining('extends the saved checkpoint') });
  });

  it('the CLI proves a complete JSON-LD export extends a saved note or JWS checkpoint, names an edited record, and says what else it cannot check', async () => {
    const savedNote = join(work, 'export-saved.note');
    writeFileSync(savedNote, await latestNote(server.url));
    const savedJws = join(work, 'export-saved.jws');
    writeFileSync(savedJws, await latestJws(server.url));
    await addEvents(api, 2);
    const exported = await saveExport(server.url, server.adminKey, join(work, 'export.jsonld'));
    const env = { M2M_URL: server.url, M2M_API_KEY: server.adminKey, PATH: process.env['PATH'] };
    const cli = (...args: string[]) => runCli(['audit', 'verify', ...args], { cwd: work, env });
    for (const saved of [savedNote, savedJws]) {
      expect(await cli(exported, '--checkpoint', saved)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^VERIFIED\n[^]*extends the saved checkpoint/) });
      // The same old checkpoint against the live log: the JWS through the note the service signed at its seq.
      expect(await cli('--checkpoint', saved)).toMatchObject({ code: 0, stdout: expect.stringContaining('the current log extends the saved checkpoint') });
    }
    const json = JSON.parse((await cli(exported, '--checkpoint', savedNote, '--json')).stdout) as { ok: boolean; checkpoint: { fault: string | null } };
    expect(json).toMatchObject({ ok: true, checkpoint: { fault: null } });

    // One event of the export edited: the walk names the record before any tree is compared.
    const text = readFileSync(exported, 'utf8');
    const edited = join(work, 'edited.jsonld');
    writeFileSync(edited, text.replace('"disposition":"active"', '"disposition":"inactive"'));
    expect(readFileSync(edited, 'utf8')).not.toBe(text);
    const refused = await cli(edited, '--checkpoint', savedNote);
    expect(refused).toMatchObject({ code: 1, stdout: expect.stringMatching(/^NOT VERIFIED: record seq \d+ \(line \d+\): event_id_mismatch/) });

    // What --checkpoint cannot rebuild the tree from: a usage error naming what it can.
    const filtered = await saveExport(server.url, server.adminKey, join(work, 'filtered.jsonld'), 'format=jsonld&EQ_bizStep=inspecting');
    const xml = await saveExport(server.url, server.adminKey, join(work, 'export.xml'), 'format=xml');
    for (const file of [filtered, xml]) {
      expect(await cli(file, '--checkpoint', savedNote)).toMatchObject({ code: 2, stderr: expect.stringContaining('needs a complete (unfiltered) JSON-LD export') });
    }
  });
});

describe('deleting the log\'s tail together with its checkpoints (embedded)', () => {
  it('passes the walk of what is left, but m2m audit verify --checkpoint with a note saved before fails', async () => {
    const dataDir = newDataDir();
    const work = mkdtempSync(join(tmpdir(), 'm2m-merkle-cut-'));
    let server = await startServer({ dataDir });
    const adminKey = server.adminKey;
    const saved = join(work, 'saved.note');
    const savedJws = join(work, 'saved.jws');
    try {
      await addEvents(new Api(server.url, adminKey), 4);
      writeFileSync(saved, await latestNote(server.url));
      writeFileSync(savedJws, await latestJws(server.url));
    } finally {
      await server.stop();
    }
    const size = noteSize(readFileSync(saved, 'utf8'));
    const keep = size - 3;
    // The intruder: straight at the file, triggers dropped, the tail cut with its checkpoints and tree.
    const db = new Database(join(dataDir, 'audit.sqlite'));
    db.exec('DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_checkpoints_no_delete; DROP TRIGGER audit_tree_no_delete;');
    db.prepare('DELETE FROM audit_events WHERE seq > ?').run(keep);
    db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(keep);
    db.prepare('DELETE FROM audit_tree WHERE (idx + 1) * (1 << level) > ?').run(keep);
    db.close();

    server = await startServer({ dataDir, adminKey });
    try {
      const api = new Api(server.url, adminKey);
      expect((await api.get('/epcis/chain/verify')).body).toMatchObject({ ok: true, verifiedRecords: keep });
      const env = { M2M_URL: server.url, M2M_API_KEY: adminKey, PATH: process.env['PATH'] };
      const tailGone = `the log holds ${keep} records, fewer than the ${size} the saved checkpoint vouches for: its tail is gone`;
      for (const checkpoint of [saved, savedJws]) {
        const verify = await runCli(['audit', 'verify', '--checkpoint', checkpoint], { cwd: work, env });
        expect(verify).toMatchObject({ code: 1, stdout: expect.stringContaining(`NOT VERIFIED: ${tailGone}`) });
      }
      // An export made now is whole and signed, but shorter than the saved checkpoint.
      const exported = await saveExport(server.url, adminKey, join(work, 'after-cut.jsonld'));
      const offline = await runCli(['audit', 'verify', exported, '--checkpoint', saved], { cwd: work, env });
      expect(offline).toMatchObject({ code: 1, stdout: expect.stringContaining(`NOT VERIFIED: the export holds ${keep} records, fewer than the ${size}`) });
    } finally {
      await server.stop();
    }
  });
});

describe("the checkpoint notes' origin (embedded)", () => {
  it('is M2M_PUBLIC_URL without its scheme, the same after a restart on another port: a note saved before still verifies under the same key name', async () => {
    const dataDir = newDataDir();
    const work = mkdtempSync(join(tmpdir(), 'm2m-merkle-origin-'));
    const env = { M2M_PUBLIC_URL: 'https://audit.public.test:8443' };
    const saved = join(work, 'saved.note');
    let server = await startServer({ dataDir, env });
    const adminKey = server.adminKey;
    let vkey: string;
    try {
      await addEvents(new Api(server.url, adminKey), 1);
      writeFileSync(saved, await latestNote(server.url));
      vkey = (await new Api(server.url, null).get<string>('/epcis/checkpoints/vkey')).body.trim();
    } finally {
      await server.stop();
    }
    expect(readFileSync(saved, 'utf8').split('\n')[0]).toBe('audit.public.test:8443');

    server = await startServer({ dataDir, env, adminKey });
    try {
      await addEvents(new Api(server.url, adminKey), 1);
      expect((await latestNote(server.url)).split('\n')[0]).toBe('audit.public.test:8443');
      // The verifier key of the first run checks the new run's newest note: one name, one key.
      const cliEnv = { M2M_URL: server.url, M2M_API_KEY: adminKey, PATH: process.env['PATH'] };
      expect(await runCli(['audit', 'verify', '--checkpoint', saved, '--vkey', vkey], { cwd: work, env: cliEnv })).toMatchObject({ code: 0, stdout: expect.stringContaining('extends the saved checkpoint') });
    } finally {
      await server.stop();
    }
  });
});
