/** The server's limit on names (orgs, monitors, channels, API keys): longer ones are refused, never cut. */
export const NAME_MAX = 100;

/** Why `value` is too long for a name, or null: said while typing, instead of cutting it off. */
export function tooLong(value: string, max = NAME_MAX): string | null {
  // Code points, as the server counts them (an emoji is one character, not two).
  const length = [...value.trim()].length;
  if (length <= max) return null;
  return `The name can be at most ${max} characters; this one has ${length}. Shorten it.`;
}
