import { numericText } from './canonical-number';
import { CBV_URN_REWRITES } from './cbv-vocabulary';
import { normaliseGs1Uri } from './gs1-digital-link';

/** A value's hashed text: old CBV URNs as web-vocabulary IRIs, numbers reformatted, GS1 keys as canonical Digital Links. */
export function canonicalValue(text: string): string {
  if (text.includes('urn:epcglobal:cbv:')) {
    for (const [urn, web] of CBV_URN_REWRITES) text = text.replaceAll(urn, web);
  }
  text = numericText(text);
  return normaliseGs1Uri(text) ?? text;
}
