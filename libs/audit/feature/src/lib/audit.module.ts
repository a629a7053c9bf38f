import { Module } from '@nestjs/common';

import { EpcisQueryController } from './epcis-query.controller';

/** Needs AUDIT_LOG_REPOSITORY from the composition root. */
@Module({ controllers: [EpcisQueryController] })
export class AuditModule {}
