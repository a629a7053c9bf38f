import { exitOnStartFailure, startService } from '@m2m-trust/shared-bootstrap';

import { AuditServiceModule } from './audit-service.module';

startService({ name: 'audit-service', module: (options) => AuditServiceModule.forRoot(options) }).catch(exitOnStartFailure);
