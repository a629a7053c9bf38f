import { parseCheckpointText } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { Public, RequireScope } from '@m2m-trust/shared-platform';

import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { JSONWebKeySet } from 'jose';

import { AuditChainVerifier, type ChainReport } from './audit-chain.verifier';
import { AuditCheckpointService } from './audit-checkpoint.service';
import { AuditProofService, type ConsistencyProofAnswer, type InclusionProofAnswer } from './audit-proof.service';
import { ApiEpcisAnswers } from './epcis-http.helpers';

const TEXT = 'text/plain; charset=utf-8';

/** A tree size in a query: a plain decimal integer, or absent. */
function treeSizeParam(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new DomainError(ErrorCode.QueryParameterInvalid, `${name} must be a tree size: a non-negative integer`);
  }
  return Number(value);
}

function noOtherParameters(params: Record<string, unknown>, allowed: readonly string[]): void {
  const other = Object.keys(params).find((name) => !allowed.includes(name));
  if (other !== undefined) throw new DomainError(ErrorCode.QueryParameterInvalid, `Unknown parameter ${other}`);
}

@ApiTags('Audit (EPCIS 2.0)')
@Controller('epcis')
export class AuditChainController {
  constructor(
    private readonly checkpoints: AuditCheckpointService,
    private readonly verifier: AuditChainVerifier,
    private readonly proofs: AuditProofService,
  ) {}

  /** Public like any key set: anyone holding an export or checkpoint must be able to check it. */
  @Public()
  @Get('checkpoints/latest')
  @ApiOperation({ summary: 'The newest signed checkpoint of the audit log (tree size, root, chain head), its signed note, and the keys that verify it' })
  @ApiOkResponse({ description: '{ seq, head, signedAt, kid, jws, note, treeSize, rootHash, origin, verifierKey, keys }' })
  @ApiNotFoundResponse({ description: 'ROUTE_NOT_FOUND: the audit log is empty, so there is no checkpoint yet' })
  async latest(): Promise<Record<string, unknown>> {
    const checkpoint = await this.latestCheckpoint();
    const body = checkpoint.note === null ? null : parseCheckpointText(checkpoint.note.slice(0, checkpoint.note.lastIndexOf('\n\n') + 1));
    return {
      ...checkpoint,
      treeSize: checkpoint.seq,
      rootHash: body ? body.root.toString('hex') : null,
      origin: this.checkpoints.origin(),
      verifierKey: this.checkpoints.verifierKey(),
      keys: this.checkpoints.keySet(),
    };
  }

  @Public()
  @Get('checkpoints/latest/note')
  @Header('content-type', TEXT)
  @ApiOperation({ summary: 'The newest checkpoint as a C2SP tlog-checkpoint signed note, as transparency-log tools read it' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The signed note: origin, tree size, base64 root hash, m2m-chain-head extension line, blank line, signature line' })
  @ApiNotFoundResponse({ description: 'ROUTE_NOT_FOUND: no checkpoint with a note yet' })
  async latestNote(): Promise<string> {
    const checkpoint = await this.latestCheckpoint();
    if (checkpoint.note === null) throw new DomainError(ErrorCode.RouteNotFound, 'The newest checkpoint predates the Merkle tree: there is no note until the log moves');
    return checkpoint.note;
  }

  @Public()
  @Get('checkpoints/vkey')
  @Header('content-type', TEXT)
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'The note verifier key of the checkpoint notes: <name>+<hex key hash>+<base64(0x01 || Ed25519 public key)>' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The verifier key, one line' })
  verifierKey(): string {
    return `${this.checkpoints.verifierKey()}\n`;
  }

  @Public()
  @Get('checkpoints/keys')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'The JWKS of the keys that sign checkpoints and export manifests' })
  keys(): JSONWebKeySet {
    return this.checkpoints.keySet();
  }

  @Public()
  @Get('checkpoints/consistency')
  @ApiOperation({ summary: 'An RFC 9162 consistency proof: the tree of `from` leaves is a prefix of the tree of `to` leaves (default: the newest checkpoint)' })
  @ApiQuery({ name: 'from', required: true, description: 'the older tree size (a checkpoint kept earlier)' })
  @ApiQuery({ name: 'to', required: false, description: "the newer tree size; default the newest checkpoint's" })
  @ApiOkResponse({ description: '{ from, to, fromRootHash, toRootHash, proof: [hex], fromCheckpoint, toCheckpoint } (hashes in lowercase hex; checkpoints as signed notes or null)' })
  @ApiEpcisAnswers([], 400)
  consistency(@Query() params: Record<string, unknown>): Promise<ConsistencyProofAnswer> {
    noOtherParameters(params, ['from', 'to']);
    const from = treeSizeParam('from', params['from']);
    if (from === undefined) throw new DomainError(ErrorCode.QueryParameterInvalid, 'from is required');
    return this.proofs.consistency(from, treeSizeParam('to', params['to']));
  }

  @Get('events/:eventID/proof')
  @RequireScope('audit:read')
  @ApiOperation({ summary: "An RFC 9162 inclusion proof of one audit event (URL-encoded event hash ID) in the tree of treeSize leaves (default: the newest checkpoint's)" })
  @ApiParam({ name: 'eventID', example: 'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0' })
  @ApiQuery({ name: 'treeSize', required: false, description: "the tree size to prove against; default the newest checkpoint's" })
  @ApiOkResponse({ description: '{ eventID, seq, prevHash, recordHash, leafIndex, leafHash, treeSize, rootHash, auditPath: [hex], checkpoint } (hashes in lowercase hex)' })
  @ApiEpcisAnswers([], 400, 401, 403, 404)
  proof(@Param('eventID') eventId: string, @Query() params: Record<string, unknown>): Promise<InclusionProofAnswer> {
    noOtherParameters(params, ['treeSize']);
    return this.proofs.inclusion(eventId, treeSizeParam('treeSize', params['treeSize']));
  }

  @Get('chain/verify')
  @RequireScope('audit:read')
  @ApiOperation({ summary: 'Walk the whole log, its tree and every checkpoint; name the first record that is not what the chain says' })
  @ApiOkResponse({ description: 'The chain report: whether the chain, its query columns, tree and checkpoints hold, and the first record that does not' })
  verify(): Promise<ChainReport> {
    return this.verifier.verify();
  }

  private async latestCheckpoint(): Promise<NonNullable<Awaited<ReturnType<AuditCheckpointService['latest']>>>> {
    const checkpoint = await this.checkpoints.latest();
    if (!checkpoint) throw new DomainError(ErrorCode.RouteNotFound, 'The audit log is empty: there is no checkpoint yet');
    return checkpoint;
  }
}
