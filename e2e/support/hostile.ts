import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

import { clientAssertion, type Device, newDevice } from './client';

/** A stranger's jti: NUL, an ANSI escape, a C1 control, a lone surrogate (JSON's "\ud800"), U+FFFF. */
export const HOSTILE_JTI = 'jti\u0000\u001b[2J\u0085\ud800\uffff-end';

/** What the audit log records instead of {@link HOSTILE_JTI} (docs/epcis.md): the SHA-256 of its UTF-8, the lone surrogate as U+FFFD. */
export const HOSTILE_JTI_SHA256 = createHash('sha256').update(HOSTILE_JTI, 'utf8').digest('hex');

/** One text of each kind an operator's names and reasons may not hold. */
export const CONTROL_TEXTS = ['NUL \u0000', 'escape \u001b[31m', 'line\nbreak', 'tab\there', 'DEL \u007f', 'C1 \u0085', 'noncharacter \ufffe'];

/** `{"k":{"k":…1…}}`: JSON nesting `depth` objects. */
export const nestedObjects = (depth: number): string => `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** A body sent as the bytes it is, so that what JSON.stringify never writes (invalid UTF-8) reaches the server. */
export async function postBytes(url: string, adminKey: string, path: string, bytes: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: bytes });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Presents a client assertion for `device` with {@link HOSTILE_JTI}, signed by another key: the token endpoint's status. */
export async function presentHostileAssertion(url: string, device: Device, audience: string): Promise<number> {
  const forged = await clientAssertion(device, audience, { claims: { jti: HOSTILE_JTI }, signer: newDevice().privateKey });
  const answer = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: forged }),
  });
  return answer.status;
}

/** What xmllint (libxml2, installed by .ci/run) says of a document's well-formedness: exit status and messages. */
export function xmllint(document: Buffer): { status: number | null; stderr: string } {
  const lint = spawnSync('xmllint', ['--noout', '-'], { input: document });
  return { status: lint.status, stderr: lint.stderr.toString() };
}
