import { APP_CONFIG, type AppConfig } from '@m2m-trust/shared-platform';

import { appendFile } from 'node:fs/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';

/** Notes waiting for the webhook at most; past it the oldest go (every later note implies them, through consistency proofs). */
const MAX_QUEUED = 1_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 60_000;
const TIMEOUT_MS = 10_000;

/**
 * Publishes each new checkpoint note where the operator chose, so a third
 * party holds them: appended to a file (M2M_AUDIT_CHECKPOINT_PUBLISH_FILE,
 * one note after another, each ending with its signature line) and POSTed to
 * a URL (M2M_AUDIT_CHECKPOINT_PUBLISH_URL, `text/plain`, retried with
 * doubling pauses until it answers 2xx). Never in the way of the log: a
 * publication runs after the checkpoint is saved, in order, in the background.
 */
@Injectable()
export class AuditCheckpointPublisher {
  private readonly logger = new Logger('audit-checkpoint-publisher');
  private queue: string[] = [];
  private running: Promise<void> | null = null;
  private fileWrites: Promise<void> = Promise.resolve();
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  publish(note: string): void {
    const { file, url } = this.config.audit.publish;
    if (file !== null) {
      this.fileWrites = this.fileWrites
        .then(() => appendFile(file, note, { encoding: 'utf8', mode: 0o644 }))
        .catch((error: unknown) => this.logger.error({ err: error, file }, 'appending a checkpoint note to the publish file failed'));
    }
    if (url === null) return;
    this.queue.push(note);
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
    this.running ??= this.deliver(url).finally(() => (this.running = null));
  }

  /** At shutdown: waits for the file, and gives the webhook one last try (bounded) without retrying. */
  async drain(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.fileWrites;
    await this.running;
  }

  private async deliver(url: string): Promise<void> {
    let pause = RETRY_MIN_MS;
    while (this.queue.length > 0) {
      const note = this.queue[0] as string;
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: note, signal: AbortSignal.timeout(TIMEOUT_MS) });
        if (!response.ok) throw new Error(`answered ${response.status}`);
        this.queue.shift();
        pause = RETRY_MIN_MS;
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error, url, retryInMs: pause }, 'publishing a checkpoint note failed');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause).unref();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        pause = Math.min(pause * 2, RETRY_MAX_MS);
      }
    }
  }
}
