import { AUDIT_CHAIN_STORE, type AuditChainStore, type StoredCheckpoint } from '@m2m-trust/audit-data-access';
import { CHECKPOINT_JWS_TYPE, type CheckpointClaims, type NoteVerifier, noteVerifierKey, parseVerifierKey, readTree, schemalessOrigin, signCheckpointNote, treeRoot } from '@m2m-trust/audit-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { APP_CONFIG, type AppConfig, ServiceAudience } from '@m2m-trust/shared-platform';

import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CompactSign, type JSONWebKeySet } from 'jose';

import { AuditCheckpointPublisher } from './audit-checkpoint.publisher';
import { AUDIT_SIGNING_KEY, type AuditSigningKey } from './audit-signing-key';

/**
 * Signs checkpoints of the log: on a timer, on request when the log has
 * moved, and at shutdown. Each is signed twice with the audit key: a C2SP
 * tlog-checkpoint note of the Merkle tree (origin, tree size, root, and the
 * chain head as an extension line) and, for clients from before the tree, a
 * JWS of the chain head. A checkpoint an auditor keeps pins the log's
 * history up to it: a consistency proof shows any later log extends it.
 */
@Injectable()
export class AuditCheckpointService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('audit-checkpoints');
  private timer: NodeJS.Timeout | undefined;
  private signing: Promise<StoredCheckpoint | null> | null = null;
  private readonly publicKey: Buffer;

  constructor(
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    @Inject(AUDIT_SIGNING_KEY) private readonly key: AuditSigningKey,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audience: ServiceAudience,
    private readonly publisher: AuditCheckpointPublisher,
  ) {
    this.publicKey = Buffer.from(key.jwk.x as string, 'base64url');
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.latest().catch((error: unknown) => this.logger.error({ err: error }, 'signing a checkpoint failed'));
    }, this.config.audit.checkpointSeconds * 1000).unref();
  }

  /** Before the database closes: the last records get a checkpoint too. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.latest().catch((error: unknown) => this.logger.error({ err: error }, 'final checkpoint failed'));
    await this.publisher.drain();
  }

  keySet(): JSONWebKeySet {
    return { keys: [this.key.jwk] };
  }

  /** The checkpoints' origin line, which is also their key's name: configured (M2M_AUDIT_LOG_ORIGIN, else M2M_PUBLIC_URL's host), or the service audience without its scheme. */
  origin(): string {
    return this.config.audit.logOrigin ?? schemalessOrigin(this.audience.get());
  }

  /** The note verifier key (`<name>+<hex key hash>+<base64(0x01 || public key)>`) that checks the checkpoint notes. */
  verifierKey(): string {
    return noteVerifierKey(this.origin(), this.publicKey);
  }

  /**
   * The verifier of a stored note: this log's key under the note's own origin
   * line, so notes signed before the origin changed (a new port, a new
   * setting) still check; null for a note without a usable origin.
   */
  verifierFor(note: string): NoteVerifier | null {
    const origin = note.slice(0, note.indexOf('\n'));
    try {
      return parseVerifierKey(noteVerifierKey(origin, this.publicKey));
    } catch {
      return null;
    }
  }

  /** The newest checkpoint, signing one first when the log has grown since. */
  latest(): Promise<StoredCheckpoint | null> {
    // One signer at a time: concurrent callers share the same new checkpoint.
    this.signing ??= this.signIfMoved().finally(() => (this.signing = null));
    return this.signing;
  }

  private async signIfMoved(): Promise<StoredCheckpoint | null> {
    const [head, last] = await Promise.all([this.chain.head(), this.chain.latestCheckpoint()]);
    if (!head || (last && last.seq >= head.seq)) return last;
    const now = this.clock.now();
    const claims: CheckpointClaims = { iss: this.audience.get(), seq: head.seq, head: head.hash, iat: Math.floor(now.getTime() / 1000) };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: CHECKPOINT_JWS_TYPE })
      .sign(this.key.privateKey);
    const root = await readTree(
      (read) => treeRoot(read, head.seq),
      (nodes) => this.chain.treeHashes(nodes),
    );
    const origin = this.origin();
    const note = signCheckpointNote({ origin, size: head.seq, root, chainHead: head.hash }, origin, this.key.privateKey, this.publicKey);
    const checkpoint: StoredCheckpoint = { seq: head.seq, head: head.hash, signedAt: now.toISOString(), kid: this.key.kid, jws, note };
    await this.chain.saveCheckpoint(checkpoint);
    this.publisher.publish(note);
    return checkpoint;
  }
}
