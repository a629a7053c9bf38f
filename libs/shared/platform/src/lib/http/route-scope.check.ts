import { Injectable, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, Reflector } from '@nestjs/core';

import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPE } from './require-scope.decorator';

/** `Class.method` of every route handler that is neither @Public() nor @RequireScope()d. */
export function unscopedRoutes(controllers: readonly Type[], reflector: Reflector): string[] {
  const found: string[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const targets = [handler, controller];
      if (reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) || reflector.getAllAndOverride<string>(REQUIRED_SCOPE, targets)) continue;
      found.push(`${controller.name}.${name}`);
    }
  }
  return found;
}

/**
 * The guard refuses an unscoped route to everyone; this makes the mistake
 * loud instead: the app does not start while a route declares no access.
 */
@Injectable()
export class RouteScopeCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const controllers = this.discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype)
      .filter((metatype): metatype is Type => typeof metatype === 'function');
    const unscoped = unscopedRoutes(controllers, this.reflector);
    if (unscoped.length > 0) {
      throw new Error(`Routes declare neither @Public() nor @RequireScope(): ${unscoped.join(', ')}. Every route must say who may call it.`);
    }
  }
}
