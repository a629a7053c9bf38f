import { distance } from 'fastest-levenshtein';

/**
 * The known names a mistyped one was probably meant to be, at most three:
 * the nearest in edits, if within a third of its length (at least one; case
 * ignored), then those it is the start of (`--pub` for `--public-key`).
 */
export function closeMatches(typed: string, known: readonly string[]): string[] {
  const lower = typed.toLowerCase();
  const scored = [...new Set(known)].map((name) => ({ name, edits: distance(lower, name.toLowerCase()), extends: lower.length >= 2 && name.toLowerCase().startsWith(lower) }));
  const nearest = Math.min(Math.max(1, Math.floor(lower.length / 3)), ...scored.map((match) => match.edits));
  return scored
    .filter((match) => match.edits === nearest || match.extends)
    .sort((a, b) => a.edits - b.edits)
    .slice(0, 3)
    .map((match) => match.name);
}

/** ` Did you mean a, b or c?`, or nothing when there are no suggestions. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  const last = suggestions.at(-1) as string;
  return ` Did you mean ${suggestions.length > 1 ? `${suggestions.slice(0, -1).join(', ')} or ${last}` : last}?`;
}
