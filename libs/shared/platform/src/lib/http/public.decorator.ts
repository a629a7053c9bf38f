import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'm2m-trust:public';

/** Marks a route that devices or probes call without an API key. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
