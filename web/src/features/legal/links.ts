/** The legal pages, as the footer of every page and each legal page's own menu link them. */
export const LEGAL_PAGES = [
  { to: "/legal/terms", label: "Terms" },
  { to: "/legal/privacy", label: "Privacy" },
  { to: "/legal/cookies", label: "Cookie Policy" },
] as const;
