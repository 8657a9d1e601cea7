/** The server's slug rule (OrgCreate.slug in the API schema). */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

export const SLUG_PROBLEM =
  "The slug can use only lowercase letters, digits and dashes, must start and end with a letter or digit, and be at most 48 characters.";

export function slugProblem(slug: string): string | null {
  return slug === "" || SLUG_PATTERN.test(slug) ? null : SLUG_PROBLEM;
}
