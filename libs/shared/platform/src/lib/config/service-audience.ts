import { Inject, Injectable } from '@nestjs/common';

import { APP_CONFIG, type AppConfig } from './app-config';

/**
 * The service name bound into every challenge: M2M_AUDIENCE, or else the URL
 * the server actually listens on (known only after listening, e.g. PORT=0).
 */
@Injectable()
export class ServiceAudience {
  private value: string | null;
  private listening: string | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.value = config.challenge.audience;
  }

  /** Called once the server listens; a configured audience wins. */
  useListeningUrl(url: string): void {
    this.listening = url;
    this.value ??= url;
  }

  /** The URL the server listens on (the default token issuer, docs/tokens.md). */
  listeningUrl(): string {
    if (this.listening === null) throw new Error('the listening URL is not known before the server listens');
    return this.listening;
  }

  get(): string {
    if (this.value === null) throw new Error('the service audience is not known before the server listens');
    return this.value;
  }
}
