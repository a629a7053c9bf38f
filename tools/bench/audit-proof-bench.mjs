// Proofs at a million records: a synthetic audit file built straight through
// the store's own tables (records with small documents and their real record
// bytes as leaves, the tree folded by TreeFrontier as the writer folds it,
// written in large transactions), then inclusion and consistency proofs served
// by SqliteAuditChainStore exactly as the proof routes ask for them (record by
// eventID, tree size, the stored hashes of the proof and the root, the
// checkpoint of that size), and checked as `m2m audit proof` / `verify
// --checkpoint` check them (note signature, RFC 9162 verification).
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const dist = (path) => require(join(root, 'dist', path));

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
};

export async function benchAuditProofs({ records = 1_000_000, samples = 2_000 } = {}) {
  const domain = dist('libs/audit/domain/src/index');
  const audit = dist('libs/audit/data-access/src/sqlite');
  const { openSqliteDatabase } = dist('libs/shared/data-access/src/sqlite');
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-proofs-'));
  const database = await openSqliteDatabase(dataDir, audit.AUDIT_FILE_MIGRATIONS, { fileName: audit.AUDIT_DATABASE_FILE, eventStore: false });
  const { db } = database;
  db.pragma('synchronous = OFF');
  const insertRecord = db.prepare(
    "INSERT INTO audit_events (seq, prev_hash, hash, event_id, source_event_id, event_type, event_time, record_time, action, epc, document) VALUES (?, ?, ?, ?, ?, 'ObjectEvent', ?, ?, 'OBSERVE', ?, ?)",
  );
  const insertNode = db.prepare(audit.INSERT_TREE_NODE_SQL);
  const frontier = new domain.TreeFrontier();
  const roots = new Map();
  const eventId = (seq) => `ni:///sha-256;${seq.toString(16).padStart(64, '0')}?ver=CBV2.0`;
  let prev = domain.GENESIS_HASH;
  const buildStart = performance.now();
  const chunk = db.transaction((from, to) => {
    for (let seq = from; seq <= to; seq++) {
      const time = new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString();
      const event = { eventID: eventId(seq), type: 'ObjectEvent', eventTime: time, recordTime: time, action: 'OBSERVE', epcList: [`urn:m2m-trust:device:d${seq % 1000}`] };
      const { link, leaf } = domain.nextChainEntry({ seq: seq - 1, hash: prev }, event);
      insertRecord.run(seq, link.prevHash, link.hash, event.eventID, `source-${seq}`, time, time, event.epcList[0], JSON.stringify(event));
      frontier.append(leaf, (level, index, hash) => insertNode.run(level, index, hash));
      prev = link.hash;
    }
  });
  for (let from = 1; from <= records; from += 50_000) chunk(from, Math.min(records, from + 49_999));
  const buildSeconds = (performance.now() - buildStart) / 1000;

  // Checkpoints at a few sizes, signed as the service signs them.
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const store = new audit.SqliteAuditChainStore(db);
  const read = (compute) => domain.readTree(compute, (nodes) => store.treeHashes(nodes));
  const origin = 'bench.example/audit';
  const sizes = [records / 4, records / 2, records - 1, records].map(Math.floor);
  for (const size of sizes) {
    const root = await read((r) => domain.treeRoot(r, size));
    roots.set(size, root);
    const note = domain.signCheckpointNote({ origin, size, root, chainHead: null }, origin, privateKey, raw);
    await store.saveCheckpoint({ seq: size, head: '', signedAt: new Date().toISOString(), kid: 'bench', jws: '', note });
  }
  const verifier = domain.parseVerifierKey(domain.noteVerifierKey(origin, raw));

  const inclusion = [];
  const inclusionCheck = [];
  for (let i = 0; i < samples; i++) {
    const seq = 1 + Math.floor(Math.random() * records);
    const t0 = performance.now();
    // As AuditProofService.inclusion does it.
    const record = await store.recordOf(eventId(seq));
    const size = await store.treeSize();
    const { path, root } = await read((r) => ({ path: domain.inclusionProof(r, record.seq - 1, size), root: domain.treeRoot(r, size) }));
    const checkpoint = await store.checkpointAt(size);
    inclusion.push(performance.now() - t0);
    // As `m2m audit proof` checks it, once the answers are in.
    const t1 = performance.now();
    const body = domain.openCheckpointNote(checkpoint.note, verifier);
    const leaf = domain.leafHash(domain.recordBytes(record.seq, record.prevHash, record.event));
    if (!body || !domain.verifyInclusion(record.seq - 1, body.size, leaf, path, body.root) || !root.equals(body.root)) throw new Error(`proof of ${seq} did not verify`);
    inclusionCheck.push(performance.now() - t1);
  }
  const consistency = [];
  const consistencyCheck = [];
  for (let i = 0; i < samples; i++) {
    const from = 1 + Math.floor(Math.random() * (records - 1));
    const t0 = performance.now();
    const { proof, fromRoot, toRoot } = await read((r) => ({ proof: domain.consistencyProof(r, from, records), fromRoot: domain.treeRoot(r, from), toRoot: domain.treeRoot(r, records) }));
    await Promise.all([store.checkpointAt(from), store.checkpointAt(records)]);
    consistency.push(performance.now() - t0);
    const t1 = performance.now();
    const newer = domain.openCheckpointNote((await store.checkpointAt(records)).note, verifier);
    if (!domain.verifyConsistency(from, records, proof, fromRoot, newer.root) || !toRoot.equals(newer.root)) throw new Error(`consistency from ${from} did not verify`);
    consistencyCheck.push(performance.now() - t1);
  }
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    records,
    samples,
    buildSeconds,
    inclusion: summary(inclusion),
    consistency: summary(consistency),
    inclusionCheck: summary(inclusionCheck),
    consistencyCheck: summary(consistencyCheck),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchAuditProofs({ records: Number(process.argv[2] ?? 1_000_000) })));
}
