import type { ApiKeyScope } from '@m2m-trust/shared-events';

import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const REQUIRED_SCOPE = 'm2m-trust:required-scope';

/** The OpenAPI extension naming an operation's scope: what clients and the route-walk test read. */
export const REQUIRED_SCOPE_EXTENSION = 'x-required-scope';

/**
 * The one scope an API key must hold to call a route (or every route of a
 * controller). A route that is neither @Public() nor scoped is refused to
 * everyone, and the app will not start with one (RouteScopeCheck).
 */
export const RequireScope = (scope: ApiKeyScope): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    ApiSecurity('apiKey'),
    ApiSecurity('bearer'),
    ApiExtension(REQUIRED_SCOPE_EXTENSION, scope),
    ApiUnauthorizedResponse({ description: 'UNAUTHORIZED: no API key, or one that is unknown, expired or revoked' }),
    ApiForbiddenResponse({ description: `INSUFFICIENT_SCOPE: the API key lacks the "${scope}" scope` }),
  );
