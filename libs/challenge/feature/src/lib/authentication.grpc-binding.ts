import type { GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';
import type { AuthenticationHandlers } from '@m2m-trust/shared-proto';

import type { AuthenticationGrpcController } from './authentication.grpc-controller';

/** m2m.v1.Authentication as any process serves it: the gateway, or the challenge service itself. */
export const authenticationBinding = (authentication: AuthenticationGrpcController): GrpcServiceBinding => ({
  name: 'm2m.v1.Authentication',
  definition: (m2m) => m2m.m2m.v1.Authentication.service,
  handlers: (calls): AuthenticationHandlers => ({
    InitiateChallenge: calls.unary('public', (request, context) => authentication.initiateChallenge(request, context)),
    Verify: calls.unary('public', (request, context) => authentication.verify(request, context)),
    RequestToken: calls.unary('public', (request, context) => authentication.requestToken(request, context)),
  }),
});
