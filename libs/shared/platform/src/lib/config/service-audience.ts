import { Inject, Injectable } from '@nestjs/common';

import { APP_CONFIG, type AppConfig } from './app-config';

/**
 * The service name bound into every challenge: M2M_AUDIENCE, or else the URL
 * the server actually listens on (known only after listening, e.g. PORT=0).
 */
@Injectable()
export class ServiceAudience {
  private value: string | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.value = config.challenge.audience;
  }

  /** Called once the server listens; a configured audience wins. */
  useListeningUrl(url: string): void {
    this.value ??= url;
  }

  get(): string {
    if (this.value === null) throw new Error('the service audience is not known before the server listens');
    return this.value;
  }
}
