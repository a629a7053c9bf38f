/** JSON-LD context of EPCIS 2.0 and the project's own extension namespace. */
export const EPCIS_CONTEXT_URL = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
export const M2M_PREFIX = 'm2m';
export const M2M_NAMESPACE = 'https://ns.m2m-trust.org/epcis/';
export const EPCIS_CONTEXT = [EPCIS_CONTEXT_URL, { [M2M_PREFIX]: M2M_NAMESPACE }] as const;
export const EPCIS_PREFIXES = { [M2M_PREFIX]: M2M_NAMESPACE } as const;

export const EPCIS_VERSION = '2.0.0';
export const CBV_VERSION = '2.0.0';

/** Devices are identified in `epcList` by this URN (docs/epcis.md). */
export const DEVICE_URN_PREFIX = 'urn:m2m-trust:device:';
export const deviceEpc = (deviceId: string): string => `${DEVICE_URN_PREFIX}${deviceId}`;
/** Operators' API keys, whose creation and revocation are audited too. */
export const API_KEY_URN_PREFIX = 'urn:m2m-trust:api-key:';
export const apiKeyEpc = (apiKeyId: string): string => `${API_KEY_URN_PREFIX}${apiKeyId}`;

export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE';
export const EPCIS_EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'] as const;

/** CBV 2.0 web vocabulary bases: a bizStep or disposition may be given bare or as its URI. */
export const CBV_BIZSTEP_URI = 'https://ref.gs1.org/cbv/BizStep-';
export const CBV_DISPOSITION_URI = 'https://ref.gs1.org/cbv/Disp-';

/**
 * Every extension field (`m2m:<name>`) an audit event may carry (epcis-mapping.ts).
 * A query condition on another field of the namespace can never hold.
 */
export const M2M_EXTENSION_FIELDS = [
  'actor',
  'assertionId',
  'assertionIdSha256',
  'challengeId',
  'expiresAt',
  'failures',
  'keyThumbprint',
  'lockedUntil',
  'lockNumber',
  'method',
  'name',
  'nameSha256',
  'phase',
  'reason',
  'reasonSha256',
  'requestId',
  'scopes',
  'sourceEventId',
  'tokenId',
] as const;
export type M2mExtensionField = (typeof M2M_EXTENSION_FIELDS)[number];
