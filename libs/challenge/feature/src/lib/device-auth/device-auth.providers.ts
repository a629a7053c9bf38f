import type { Provider } from '@nestjs/common';

import { DeviceAuthGuard } from './device-auth.guard';
import { RawBodyCapture } from './raw-body.capture';
import { SignatureReplayCache } from './signature-replay.cache';

/** What @DeviceAuth() routes need besides DeviceCredentialsCache (and, for bearer tokens, an AccessTokens provider). */
export const DEVICE_AUTH_PROVIDERS: Provider[] = [DeviceAuthGuard, RawBodyCapture, SignatureReplayCache];
