import DOMPurify from "dompurify";

/** Only what a digest's Markdown turns into. */
const ALLOWED_TAGS = [
  "h1",
  "h2",
  "h3",
  "p",
  "ul",
  "ol",
  "li",
  "a",
  "strong",
  "em",
  "code",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "br",
  "hr",
];

const WEB_LINK = /^https?:\/\//i;

/** A table column's alignment, which the server sends as `align` (never as `style`). */
const CELLS = new Set(["TH", "TD"]);
const ALIGNMENTS = new Set(["left", "center", "right"]);

// An instance of our own, so its hook touches no other use of DOMPurify.
const purifier = DOMPurify(window);

purifier.addHook("afterSanitizeAttributes", (node) => {
  const align = node.getAttribute("align");
  if (align !== null && !(CELLS.has(node.nodeName) && ALIGNMENTS.has(align))) node.removeAttribute("align");
  if (node.nodeName !== "A") return;
  const href = node.getAttribute("href");
  if (href === null || !WEB_LINK.test(href.trim())) {
    node.removeAttribute("href");
    return;
  }
  node.setAttribute("target", "_blank");
  node.setAttribute("rel", "noopener noreferrer");
});

/**
 * The server sends a digest's HTML already sanitised; it is sanitised again here, to the
 * few tags a digest needs, before it touches the page. Links go to http(s) only and open
 * in a new tab that cannot reach back into this one. A table cell may keep its alignment.
 *
 * `style` attributes are dropped, but dropping them here cannot keep them from the
 * Content-Security-Policy (`style-src 'self'`): the browser checks each one as DOMPurify's
 * parser meets it and reports a violation. So the server never sends one.
 */
export function sanitizeDigestHtml(html: string): string {
  return purifier.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "align"],
    ALLOWED_URI_REGEXP: WEB_LINK,
    // Any other attribute's value must look like a web link to pass, so `align` is named
    // URI-safe; the hook above keeps it on table cells only, with one of three values.
    ADD_URI_SAFE_ATTR: ["align"],
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    KEEP_CONTENT: true,
  });
}
