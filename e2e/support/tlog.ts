import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import canonicalize from 'canonicalize';

import { findGo, installTlogVerify } from '../../tools/scripts/tlog-verify.cjs';
import { Api } from './client';

// The audit log checked as a transparency log by tools/tlog-verify (Go, on the
// transparency-dev reference libraries), shared by the embedded and the
// distributed suites: both ask a real server and hand its answers to Go.

/** GET /epcis/events/{eventID}/proof, as served. */
export interface InclusionProof {
  eventID: string;
  seq: number;
  prevHash: string;
  leafIndex: number;
  treeSize: number;
  rootHash: string;
  auditPath: string[];
  checkpoint: string | null;
}

export type GoVerify = (...args: string[]) => Promise<{ ok: boolean; out: string }>;

/** Builds tools/tlog-verify (once per source version) and returns a runner: its output, or the failure's stderr. */
export function goVerifier(): GoVerify {
  const go = findGo();
  if (go === null) throw new Error('Go is needed to build tools/tlog-verify (the independent verifier of the audit-log suites)');
  const binary = installTlogVerify(go);
  return async (...args) => {
    try {
      const { stdout } = await promisify(execFile)(binary, args);
      return { ok: true, out: stdout.trim() };
    } catch (error) {
      return { ok: false, out: String((error as { stderr?: string }).stderr ?? error) };
    }
  };
}

/** The newest checkpoint note, as GET /epcis/checkpoints/latest/note serves it (public, text/plain). */
export async function latestNote(url: string): Promise<string> {
  const answer = await new Api(url, null).get<string>('/epcis/checkpoints/latest/note');
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
  return answer.body;
}

/** A note's tree size (its second line). */
export const noteSize = (note: string): number => Number(note.split('\n')[1]);

/**
 * Proves every event into the tree of the note saved in `noteFile` with the
 * Go verifier: each inclusion proof the server serves at that size holds for
 * the event's leaf input (the RFC 8785 JSON of {seq, prevHash, event}, as
 * docs/epcis.md says), and the same path at another index does not.
 */
export async function expectEveryEventIncluded(options: {
  readonly api: Api;
  readonly events: readonly Record<string, unknown>[];
  readonly goVerify: GoVerify;
  readonly vkey: string;
  readonly noteFile: string;
  readonly note: string;
  readonly work: string;
}): Promise<void> {
  const { api, events, goVerify, vkey, noteFile, note, work } = options;
  const [origin] = note.split('\n') as [string];
  const size = noteSize(note);
  for (const event of events) {
    const proof = (await api.get<InclusionProof>(`/epcis/events/${encodeURIComponent(event['eventID'] as string)}/proof?treeSize=${size}`)).body;
    expect(proof).toMatchObject({ treeSize: size, leafIndex: proof.seq - 1, checkpoint: note });
    const leafFile = join(work, `leaf-${proof.seq}`);
    writeFileSync(leafFile, canonicalize({ seq: proof.seq, prevHash: proof.prevHash, event }) as string);
    expect(await goVerify('inclusion', vkey, origin, noteFile, leafFile, String(proof.leafIndex), ...proof.auditPath)).toMatchObject({ ok: true });
    expect(await goVerify('inclusion', vkey, origin, noteFile, leafFile, String((proof.leafIndex + 1) % size), ...proof.auditPath)).toMatchObject({ ok: false });
  }
}

/** Flips the first hex digit of the first hash: a proof the verifier must refuse. */
const forgedProof = (proof: readonly string[]): string[] => proof.map((hash, i) => (i === 0 ? `${hash[0] === '0' ? '1' : '0'}${hash.slice(1)}` : hash));

/**
 * The consistency proof the server serves from the older note's size to the
 * newer's holds for the Go verifier over both saved notes, and one with a
 * hash changed does not.
 */
export async function expectConsistencyProved(url: string, goVerify: GoVerify, vkey: string, older: { note: string; file: string }, newer: { note: string; file: string }): Promise<void> {
  const [origin] = older.note.split('\n') as [string];
  const consistency = (await new Api(url, null).get<{ proof: string[]; to: number }>(`/epcis/checkpoints/consistency?from=${noteSize(older.note)}`)).body;
  expect(consistency.to).toBe(noteSize(newer.note));
  expect(await goVerify('consistency', vkey, origin, older.file, newer.file, ...consistency.proof)).toMatchObject({ ok: true });
  expect(await goVerify('consistency', vkey, origin, older.file, newer.file, ...forgedProof(consistency.proof))).toMatchObject({ ok: false });
}

/** GET /epcis/export (default: complete JSON-LD) saved to `file`, as an auditor keeps it. */
export async function saveExport(url: string, apiKey: string, file: string, query = 'format=jsonld'): Promise<string> {
  const response = await fetch(new URL(`/epcis/export?${query}`, url), { headers: { 'x-api-key': apiKey } });
  expect(response.status).toBe(200);
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

/** The JWS checkpoint (m2m-audit-checkpoint+jws) GET /epcis/checkpoints/latest serves beside its note. */
export async function latestJws(url: string): Promise<string> {
  const answer = await new Api(url, null).get<{ jws: string }>('/epcis/checkpoints/latest');
  expect(answer.status).toBe(200);
  return answer.body.jws;
}
