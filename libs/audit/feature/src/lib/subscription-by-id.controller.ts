import { type QuerySubscriptionView, subscriptionView } from '@m2m-trust/audit-domain';
import { RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { noParameters } from './epcis-http.helpers';
import { SUBSCRIPTION_SCHEMA } from './query-subscription.controller';
import { QuerySubscriptionService } from './query-subscription.service';

/**
 * A webhook subscription by its id alone: `/epcis/subscriptions/{subscriptionID}`,
 * the same resource as `/epcis/queries/{queryName}/subscriptions/{subscriptionID}`
 * (GS1's binding nests it under its query; the id, a UUID, names it on its own).
 */
@ApiTags('EPCIS')
@RequireScope('audit:read')
@Controller('epcis/subscriptions')
export class SubscriptionByIdController {
  constructor(private readonly subscriptions: QuerySubscriptionService) {}

  @Get(':subscriptionID')
  @ApiOperation({ summary: 'A subscription, while it is active, by its id' })
  @ApiParam({ name: 'subscriptionID' })
  @ApiOkResponse({ description: 'The subscription', schema: SUBSCRIPTION_SCHEMA })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async get(@Param('subscriptionID') subscriptionID: string, @Query() params: Record<string, unknown>): Promise<QuerySubscriptionView> {
    noParameters(params);
    return subscriptionView(await this.subscriptions.byId(subscriptionID));
  }

  @Delete(':subscriptionID')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe by id: no delivery starts after this answers' })
  @ApiParam({ name: 'subscriptionID' })
  @ApiNoContentResponse({ description: 'Unsubscribed' })
  @ApiNotFoundResponse({ description: 'epcisException:NoSuchNameException' })
  async delete(@Param('subscriptionID') subscriptionID: string, @Query() params: Record<string, unknown>): Promise<void> {
    noParameters(params);
    const found = await this.subscriptions.byId(subscriptionID);
    await this.subscriptions.delete(found.queryName, subscriptionID);
  }
}
