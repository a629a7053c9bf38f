import { apiKeyStatus, type ApiKeyView } from '@m2m-trust/access-domain';
import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import type { EventMetadata } from '@m2m-trust/shared-events';
import { EventMeta, RequireScope, SchemaPipe } from '@m2m-trust/shared-platform';

import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import {
  type ApiKeyIdParams,
  ApiKeyIdParamsSchema,
  type ApiKeyListResponse,
  ApiKeyListResponseSchema,
  type ApiKeyResponse,
  ApiKeyResponseSchema,
  type CreateApiKeyBody,
  CreateApiKeyBodySchema,
  type CreatedApiKeyResponse,
  CreatedApiKeyResponseSchema,
  type RevokeApiKeyBody,
  RevokeApiKeyBodySchema,
} from './api-key.dto';
import { ApiKeyService } from './api-key.service';

export function toApiKeyResponse(view: ApiKeyView, now: Date): ApiKeyResponse {
  return {
    id: view.apiKeyId,
    name: view.name,
    scopes: [...view.scopes],
    createdAt: view.createdAt,
    expiresAt: view.expiresAt,
    revokedAt: view.revokedAt,
    status: apiKeyStatus(view, now),
  };
}

@ApiTags('API keys')
@RequireScope('keys:admin')
@Controller('v1/api-keys')
export class ApiKeyController {
  constructor(
    private readonly keys: ApiKeyService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key with its scopes and an optional expiry; the answer holds the key, shown this once' })
  @ApiBody({ schema: CreateApiKeyBodySchema })
  @ApiCreatedResponse({ schema: CreatedApiKeyResponseSchema })
  async create(@Body(new SchemaPipe(CreateApiKeyBodySchema)) body: CreateApiKeyBody, @EventMeta() meta: EventMetadata): Promise<CreatedApiKeyResponse> {
    const created = await this.keys.create(body, meta);
    return { ...toApiKeyResponse(created.view, this.clock.now()), key: created.key };
  }

  @Get()
  @ApiOperation({ summary: 'List every API key in creation order, revoked and expired ones too; never a secret or its hash' })
  @ApiOkResponse({ schema: ApiKeyListResponseSchema })
  async list(): Promise<ApiKeyListResponse> {
    const now = this.clock.now();
    return { items: (await this.keys.list()).map((view) => toApiKeyResponse(view, now)) };
  }

  @Post(':apiKeyId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key: it is refused from now on. Idempotent: revoking it again answers the same and records nothing.' })
  @ApiBody({ schema: RevokeApiKeyBodySchema, required: false })
  @ApiOkResponse({ schema: ApiKeyResponseSchema })
  @ApiNotFoundResponse({ description: 'API_KEY_NOT_FOUND' })
  async revoke(
    @Param(new SchemaPipe(ApiKeyIdParamsSchema)) params: ApiKeyIdParams,
    @Body(new SchemaPipe(RevokeApiKeyBodySchema)) body: RevokeApiKeyBody,
    @EventMeta() meta: EventMetadata,
  ): Promise<ApiKeyResponse> {
    return toApiKeyResponse(await this.keys.revoke(params.apiKeyId, body.reason ?? null, meta), this.clock.now());
  }
}
