import { exitOnStartFailure, startService } from '@m2m-trust/shared-bootstrap';

import { ChallengeServiceModule } from './challenge-service.module';

startService({ name: 'challenge-service', module: (options) => ChallengeServiceModule.forRoot(options) }).catch(exitOnStartFailure);
