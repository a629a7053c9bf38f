import { APP_CONFIG, type AppConfig, ServiceAudience } from '@m2m-trust/shared-platform';

import { Inject, Injectable } from '@nestjs/common';

/**
 * The service as an OAuth 2.0 authorization server: its issuer identifier
 * (M2M_TOKEN_ISSUER, or the URL it listens on), the audience of its tokens and
 * the URLs of its endpoints, all under the issuer so that RFC 8414 discovery
 * from the issuer finds them.
 */
@Injectable()
export class OAuthIssuer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly listening: ServiceAudience,
  ) {}

  issuer(): string {
    return this.config.tokens.issuer ?? this.listening.listeningUrl();
  }

  audience(): string {
    return this.config.tokens.audience ?? this.issuer();
  }

  /** `path` (starting with "/") under the issuer. */
  endpoint(path: string): string {
    return `${this.issuer().replace(/\/+$/, '')}${path}`;
  }
}
