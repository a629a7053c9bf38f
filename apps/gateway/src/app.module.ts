import { AccessModule } from '@m2m-trust/access-feature';
import { AuditModule } from '@m2m-trust/audit-feature';
import { ChallengeModule } from '@m2m-trust/challenge-feature';
import { RegistryModule } from '@m2m-trust/registry-feature';
import { PlatformModule, type PlatformOptions } from '@m2m-trust/shared-platform';
import { RateLimitModule } from '@m2m-trust/shared-rate-limit';

import { type DynamicModule, Module } from '@nestjs/common';

import { EmbeddedPersistenceModule } from './embedded-persistence.module';
import { GrpcModule } from './grpc/grpc.module';

/** The embedded default: every module in one process on one SQLite database. */
@Module({})
export class AppModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(options),
        // One process: its memory is the whole count.
        RateLimitModule.forRoot(options, { store: { kind: 'memory' }, enforce: ['http', 'grpc'] }),
        EmbeddedPersistenceModule.forRoot(options.config.dataDir),
        RegistryModule,
        ChallengeModule,
        AuditModule,
        AccessModule,
        GrpcModule,
      ],
    };
  }
}
