import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

/** The media types the binding's query resources answer in. */
export const EPCIS_MEDIA = {
  jsonLd: 'application/ld+json',
  json: 'application/json',
  xml: 'application/xml',
} as const;
export type EpcisMedia = (typeof EPCIS_MEDIA)[keyof typeof EPCIS_MEDIA];

/** Event documents: JSON-LD first (what a client that states no preference gets), plain JSON, or EPCIS 2.0 XML. */
export const EVENT_DOCUMENT_MEDIA: readonly EpcisMedia[] = [EPCIS_MEDIA.jsonLd, EPCIS_MEDIA.json, EPCIS_MEDIA.xml];
/** Collections carry an @context, so they are JSON-LD too; the binding defines no XML form for them. */
export const COLLECTION_MEDIA: readonly EpcisMedia[] = [EPCIS_MEDIA.jsonLd, EPCIS_MEDIA.json];
/** Named query definitions are plain JSON (the binding's QueryDefinition has no @context). */
export const DEFINITION_MEDIA: readonly EpcisMedia[] = [EPCIS_MEDIA.json];

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseRanges(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    const [type, subtype] = (range ?? '').toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name?.toLowerCase() === 'q' && value !== undefined && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value)) q = Number(value);
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** RFC 9110 §12.5.1: a media type's quality is that of the most specific range matching it (0 when none does). */
function qualityOf(media: string, ranges: readonly MediaRange[]): number {
  const [type, subtype] = media.split('/') as [string, string];
  let best: { specificity: number; q: number } = { specificity: -1, q: 0 };
  for (const range of ranges) {
    const specificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1;
    if (specificity > best.specificity) best = { specificity, q: range.q };
  }
  return best.q;
}

/**
 * The media type to answer in: the offered one the client values most (the
 * first offered on a tie, or when it sends no Accept), or a 406
 * NotAcceptableException naming what is offered: never a silent other format.
 */
export function negotiateMedia(accept: string | undefined, offered: readonly EpcisMedia[]): EpcisMedia {
  const first = offered[0] as EpcisMedia;
  if (accept === undefined || accept.trim() === '') return first;
  const ranges = parseRanges(accept);
  let chosen: EpcisMedia | null = null;
  let chosenQ = 0;
  for (const media of offered) {
    const q = qualityOf(media, ranges);
    if (q > chosenQ) {
      chosen = media;
      chosenQ = q;
    }
  }
  if (chosen === null) throw new DomainError(ErrorCode.NotAcceptable, `This resource is available as ${offered.join(', ')}; the Accept header (${accept}) allows none of them`);
  return chosen;
}
