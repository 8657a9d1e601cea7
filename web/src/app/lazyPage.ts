import { type ComponentType, lazy } from "react";

/**
 * A page's chunk could not be fetched: the server was unreachable (offline), or the tab
 * predates a redeploy and asks for a file the new build no longer has. Reloading fetches
 * the current index.html, which names the current chunks.
 */
export class PageLoadError extends Error {
  constructor(cause: unknown) {
    super("This page could not be loaded.", { cause });
    this.name = "PageLoadError";
  }
}

/**
 * A page fetched as a chunk of its own when first opened. A failed fetch becomes a
 * PageLoadError, whatever each browser calls it ("Failed to fetch dynamically imported
 * module", "Importing a module script failed", …), so the route's error boundary can
 * offer a reload instead of a stack trace.
 */
export function lazyPage(load: () => Promise<ComponentType>) {
  return lazy(() =>
    load().then(
      (component) => ({ default: component }),
      (cause: unknown) => {
        throw new PageLoadError(cause);
      },
    ),
  );
}
