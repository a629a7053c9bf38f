import { CBV_VERSION, EPCIS_VERSION, M2M_NAMESPACE, M2M_PREFIX } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * What the binding's discovery headers say of this repository, on every
 * /epcis answer (errors included) and on every OPTIONS: EPCIS and CBV 2.0.0
 * only; EPCs as stored (device URNs, never translated to Digital Link); CBV
 * terms in XML as their CBV 2.0 web URIs; the `m2m` extension namespace.
 */
export const GS1_HEADERS = {
  'GS1-EPCIS-Version': EPCIS_VERSION,
  'GS1-EPCIS-Min': EPCIS_VERSION,
  'GS1-EPCIS-Max': EPCIS_VERSION,
  'GS1-CBV-Version': CBV_VERSION,
  'GS1-CBV-Min': CBV_VERSION,
  'GS1-CBV-Max': CBV_VERSION,
  'GS1-EPC-Format': 'Never_Translates',
  'GS1-CBV-XML-Format': 'Always_Web_URI',
  'GS1-Extensions': `${M2M_PREFIX}=${M2M_NAMESPACE}`,
} as const;

/** The binding's version pattern, `^\d+(\.\d+)*$`, compared part by part (2.0 = 2.0.0). */
function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The client's GS1-EPCIS-Min/Max and GS1-CBV-Min/Max request headers: the
 * one version served must lie within them, or the answer is a 406
 * NotAcceptableException rather than a document of another version.
 */
export function assertVersionsAcceptable(headers: FastifyRequest['headers']): void {
  const bounds = [
    ['gs1-epcis-min', EPCIS_VERSION, 1],
    ['gs1-epcis-max', EPCIS_VERSION, -1],
    ['gs1-cbv-min', CBV_VERSION, 1],
    ['gs1-cbv-max', CBV_VERSION, -1],
  ] as const;
  for (const [name, served, sign] of bounds) {
    const value = headers[name];
    if (value === undefined) continue;
    const asked = Array.isArray(value) ? value.join(',') : value.trim();
    if (!/^\d+(\.\d+)*$/.test(asked)) throw new DomainError(ErrorCode.ValidationFailed, `${name}: ${asked} is not a version (digits separated by dots)`);
    if (sign * compareVersions(asked, served) > 0) {
      throw new DomainError(ErrorCode.NotAcceptable, `${name} is ${asked}, but this repository serves only EPCIS ${EPCIS_VERSION} and CBV ${CBV_VERSION}`);
    }
  }
}

const isEpcisPath = (url: string): boolean => url === '/epcis' || url.startsWith('/epcis/') || url.startsWith('/epcis?');

/**
 * Puts the GS1 headers on every answer under /epcis, before any route or
 * guard runs, so a 401, a 404 or a 406 carries them as a 200 does; then
 * checks the client's version bounds.
 */
@Injectable()
export class EpcisHeadersHook implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (adapter?.getType() !== 'fastify') return;
    // Route hooks are composed when Fastify gets ready, so a root hook added now reaches routes already declared.
    adapter.getInstance<FastifyInstance>().addHook('onRequest', async (request, reply) => {
      if (!isEpcisPath(request.url)) return;
      void reply.headers(GS1_HEADERS);
      assertVersionsAcceptable(request.headers);
    });
  }
}
