import { AUDIT_LOG_REPOSITORY, type AuditLogRepository } from '@m2m-trust/audit-data-access';
import { parseEventQuery, standardParameter } from '@m2m-trust/audit-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { AuditDefinition, GrpcServerStreamController, QueryEventsRequest__Output, QueryEventsResponse } from '@m2m-trust/shared-proto';

import { Inject, Injectable } from '@nestjs/common';

const invalid = (name: string, message: string): DomainError =>
  new DomainError(ErrorCode.QueryParameterInvalid, `${name}: ${message}`, [{ path: name, message }]);

/**
 * The EPCIS REST query parameters a QueryEvents request stands for, so that
 * parseEventQuery validates and interprets both transports' queries alike:
 * repeated values become the binding's `|`-separated alternatives, empty
 * fields no parameter.
 */
export function eventQueryParameters(request: QueryEventsRequest__Output): Record<string, string> {
  const params: Record<string, string> = {};
  const anyOf = (name: string, values: readonly string[]): void => {
    if (values.length > 0) params[name] = values.join('|');
  };
  const single = (name: string, value: string): void => {
    if (value !== '') params[name] = value;
  };
  anyOf('eventType', request.eventType);
  anyOf('EQ_action', request.eqAction);
  anyOf('EQ_bizStep', request.eqBizStep);
  anyOf('EQ_disposition', request.eqDisposition);
  anyOf('MATCH_epc', request.matchEpc);
  anyOf('MATCH_anyEPC', request.matchAnyEpc);
  anyOf('EQ_eventID', request.eqEventId);
  single('GE_eventTime', request.geEventTime);
  single('LT_eventTime', request.ltEventTime);
  single('GE_recordTime', request.geRecordTime);
  single('LT_recordTime', request.ltRecordTime);
  for (const { field, values } of request.eqExtension) {
    const name = `EQ_${field}`;
    if (values.length === 0) throw invalid(name, 'give at least one value');
    // The catalogue decides what an extension field is: a standard name (EQ_action) smuggled in here is refused.
    if (standardParameter(name)?.kind !== 'extension') throw invalid(name, 'is not an extension field');
    if (name in params) throw invalid(name, 'give the field once; list alternatives in values');
    params[name] = values.join('|');
  }
  for (const { name, values } of request.parameter) {
    // Paging has its own fields; every other name is the parser's to accept or refuse.
    if (name === 'perPage' || name === 'nextPageToken') throw invalid(name, 'give it in its own field');
    if (name in params) throw invalid(name, 'give the parameter once; list alternatives in values');
    params[name] = values.join('|');
  }
  if (request.perPage !== 0) params['perPage'] = String(request.perPage);
  single('nextPageToken', request.nextPageToken);
  return params;
}

/** m2m.v1.Audit: GET /epcis/events as a stream, over the same audit log repository. */
@Injectable()
export class AuditGrpcController implements GrpcServerStreamController<AuditDefinition> {
  constructor(@Inject(AUDIT_LOG_REPOSITORY) private readonly log: AuditLogRepository) {}

  async *queryEvents(request: QueryEventsRequest__Output): AsyncIterable<QueryEventsResponse> {
    // Parsed before the first message: a malformed query fails the call with no event sent.
    let query = parseEventQuery(eventQueryParameters(request));
    for (;;) {
      const page = await this.log.query(query);
      for (const event of page.events) yield { eventJson: JSON.stringify(event) };
      if (page.nextAfter === null) return;
      // Paging by position, as the HTTP page token does: events arriving meanwhile never shift or repeat.
      query = { ...query, after: page.nextAfter };
    }
  }
}
