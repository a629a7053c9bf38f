import { Controller, Get, Post } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { Public } from './public.decorator';
import { RequireScope } from './require-scope.decorator';
import { unscopedRoutes } from './route-scope.check';

@Controller('scoped')
class MethodScoped {
  @Get()
  @RequireScope('devices:read')
  list(): void {}

  @Public()
  @Get('open')
  open(): void {}

  @Post()
  forgotten(): void {}

  /** Not a route: helpers are not checked. */
  helper(): void {}
}

@RequireScope('audit:read')
@Controller('class-scoped')
class ClassScoped {
  @Get()
  query(): void {}
}

@Public()
@Controller('class-public')
class ClassPublic {
  @Post()
  start(): void {}
}

describe('unscopedRoutes', () => {
  it('names exactly the routes that declare neither @Public() nor @RequireScope(), on the method or the class', () => {
    expect(unscopedRoutes([MethodScoped, ClassScoped, ClassPublic], new Reflector())).toEqual(['MethodScoped.forgotten']);
  });
});
