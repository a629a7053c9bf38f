import { type EpcisObjectEvent, M2M_NAMESPACE } from '@m2m-trust/audit-domain';
import { xmlEventElement, xmlText } from '@m2m-trust/audit-export';

/**
 * An EPCISQueryDocument in EPCIS 2.0 XML (urn:epcglobal:epcis-query:xsd:2),
 * valid against GS1's query XSD: the QueryResults of a query, its events
 * written as the XML export writes them.
 */
export function queryDocumentXml(events: readonly EpcisObjectEvent[], queryName: string, creationDate = new Date().toISOString()): string {
  const eventList = events.map((event) => xmlEventElement(event as unknown as Readonly<Record<string, unknown>>)).join('\n');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" xmlns:m2m="${M2M_NAMESPACE}" schemaVersion="2.0" creationDate="${xmlText(creationDate)}">` +
    `<EPCISBody><epcisq:QueryResults><queryName>${xmlText(queryName)}</queryName><resultsBody><EventList>\n` +
    (eventList === '' ? '' : `${eventList}\n`) +
    '</EventList></resultsBody></epcisq:QueryResults></EPCISBody></epcisq:EPCISQueryDocument>\n'
  );
}
