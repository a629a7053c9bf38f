import { AUDIT_CHAIN_STORE, type AuditChainStore, type StoredCheckpoint } from '@m2m-trust/audit-data-access';
import { CHECKPOINT_JWS_TYPE, type CheckpointClaims } from '@m2m-trust/audit-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { APP_CONFIG, type AppConfig, ServiceAudience } from '@m2m-trust/shared-platform';

import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CompactSign, type JSONWebKeySet } from 'jose';

import { AUDIT_SIGNING_KEY, type AuditSigningKey } from './audit-signing-key';

/**
 * Signs checkpoints of the chain head: on a timer, on request when the chain
 * has moved, and at shutdown. A checkpoint an auditor keeps pins the log's
 * history up to it: editing anything before it breaks the signed head.
 */
@Injectable()
export class AuditCheckpointService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('audit-checkpoints');
  private timer: NodeJS.Timeout | undefined;
  private signing: Promise<StoredCheckpoint | null> | null = null;

  constructor(
    @Inject(AUDIT_CHAIN_STORE) private readonly chain: AuditChainStore,
    @Inject(AUDIT_SIGNING_KEY) private readonly key: AuditSigningKey,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audience: ServiceAudience,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.latest().catch((error: unknown) => this.logger.error({ err: error }, 'signing a checkpoint failed'));
    }, this.config.audit.checkpointSeconds * 1000).unref();
  }

  /** Before the database closes: the last records get a checkpoint too. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.latest().catch((error: unknown) => this.logger.error({ err: error }, 'final checkpoint failed'));
  }

  keySet(): JSONWebKeySet {
    return { keys: [this.key.jwk] };
  }

  /** The newest checkpoint, signing one first when the chain has grown since. */
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
    const checkpoint = { seq: head.seq, head: head.hash, signedAt: now.toISOString(), kid: this.key.kid, jws };
    await this.chain.saveCheckpoint(checkpoint);
    return checkpoint;
  }
}
