import { exitOnStartFailure, startService } from '@m2m-trust/shared-bootstrap';

import { RegistryServiceModule } from './registry-service.module';

startService({ name: 'registry-service', module: (options) => RegistryServiceModule.forRoot(options) }).catch(exitOnStartFailure);
