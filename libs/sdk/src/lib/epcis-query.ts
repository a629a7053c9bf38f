/** One value, or alternatives (sent `|`-separated, as the EPCIS REST binding reads them). */
export type OneOrMany<T extends string = string> = T | readonly T[];

/** A point in time: a Date, or an RFC 3339 date-time with a time zone. */
export type Instant = Date | string;

/**
 * The EPCIS 2.0 query parameters `GET /epcis/events` supports (docs/epcis.md),
 * under readable names. Every filter is optional; all that are given must hold.
 */
export interface EpcisEventFilters {
  /** `eventType` (this service records `ObjectEvent` only). */
  readonly eventType?: OneOrMany;
  /** `EQ_action` */
  readonly action?: OneOrMany<'ADD' | 'OBSERVE' | 'DELETE'>;
  /** `EQ_bizStep`: CBV terms, bare (`inspecting`) or as URIs. */
  readonly bizStep?: OneOrMany;
  /** `EQ_disposition`: CBV terms, bare (`non_conformant`) or as URIs. */
  readonly disposition?: OneOrMany;
  /** Devices by id: added to `MATCH_epc` as `urn:m2m-trust:device:<deviceId>`. */
  readonly deviceId?: OneOrMany;
  /** `MATCH_epc`: device URIs. */
  readonly epc?: OneOrMany;
  /** `MATCH_anyEPC` */
  readonly anyEpc?: OneOrMany;
  /** `EQ_eventID`: event hash IDs. */
  readonly eventId?: OneOrMany;
  /** `GE_eventTime`: at or after. */
  readonly eventTimeFrom?: Instant;
  /** `LT_eventTime`: before. */
  readonly eventTimeTo?: Instant;
  /** `GE_recordTime` */
  readonly recordTimeFrom?: Instant;
  /** `LT_recordTime` */
  readonly recordTimeTo?: Instant;
  /** `EQ_m2m:reason`: a verify failure reason or a revocation reason. */
  readonly reason?: OneOrMany;
  /** `EQ_m2m:challengeId` */
  readonly challengeId?: OneOrMany;
  /** `EQ_m2m:keyThumbprint` */
  readonly keyThumbprint?: OneOrMany;
  /** `EQ_m2m:actor`: `api-key:admin`, `device:<deviceId>`. */
  readonly actor?: OneOrMany;
  /** `EQ_m2m:requestId` */
  readonly requestId?: OneOrMany;
  /** `EQ_m2m:method` */
  readonly method?: OneOrMany;
  /** `perPage`: events per page, 1 to 1000 (service default 100). */
  readonly perPage?: number;
  /** Further parameters exactly as the service names them, for filters added after this SDK. */
  readonly params?: Readonly<Record<string, string>>;
}

export const deviceEpc = (deviceId: string): string => `urn:m2m-trust:device:${deviceId}`;

const LIST_PARAMETERS = [
  ['eventType', 'eventType'],
  ['action', 'EQ_action'],
  ['bizStep', 'EQ_bizStep'],
  ['disposition', 'EQ_disposition'],
  ['anyEpc', 'MATCH_anyEPC'],
  ['eventId', 'EQ_eventID'],
  ['reason', 'EQ_m2m:reason'],
  ['challengeId', 'EQ_m2m:challengeId'],
  ['keyThumbprint', 'EQ_m2m:keyThumbprint'],
  ['actor', 'EQ_m2m:actor'],
  ['requestId', 'EQ_m2m:requestId'],
  ['method', 'EQ_m2m:method'],
] as const satisfies readonly (readonly [keyof EpcisEventFilters, string])[];

const TIME_PARAMETERS = [
  ['eventTimeFrom', 'GE_eventTime'],
  ['eventTimeTo', 'LT_eventTime'],
  ['recordTimeFrom', 'GE_recordTime'],
  ['recordTimeTo', 'LT_recordTime'],
] as const satisfies readonly (readonly [keyof EpcisEventFilters, string])[];

const list = (value: OneOrMany | undefined): string[] => (value === undefined ? [] : typeof value === 'string' ? [value] : [...value]);

/** The query string for the filters. The service refuses a repeated parameter, so alternatives share one. */
export function epcisQueryParams(filters: EpcisEventFilters = {}): URLSearchParams {
  const params = new URLSearchParams();
  const epcs = [...list(filters.deviceId).map(deviceEpc), ...list(filters.epc)];
  if (epcs.length > 0) params.set('MATCH_epc', epcs.join('|'));
  for (const [option, name] of LIST_PARAMETERS) {
    const values = list(filters[option]);
    if (values.length > 0) params.set(name, values.join('|'));
  }
  for (const [option, name] of TIME_PARAMETERS) {
    const value = filters[option];
    if (value !== undefined) params.set(name, value instanceof Date ? value.toISOString() : value);
  }
  if (filters.perPage !== undefined) params.set('perPage', String(filters.perPage));
  for (const [name, value] of Object.entries(filters.params ?? {})) params.set(name, value);
  return params;
}
