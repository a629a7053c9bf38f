/**
 * The fields whose distinct values the EPCIS binding lists as top-level
 * collections (`/epcs`, `/bizSteps`, `/dispositions`), and their columns.
 * Each column has an index that starts with it, so both readers list the
 * values by a loose index scan: one index probe per value, however many
 * events share it.
 */
export const VOCABULARY_COLUMNS = { epc: 'epc', bizStep: 'biz_step', disposition: 'disposition' } as const;
export type VocabularyField = keyof typeof VOCABULARY_COLUMNS;
