import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";

// A browser resolves a relative URL such as "/health" against the page's address; the
// Request class that Node lends the jsdom environment does not, so do what the browser does.
const NodeRequest = globalThis.Request;
class PageRequest extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, document.baseURI) : input, init);
  }
}
globalThis.Request = PageRequest;

// `findBy…` waits this long for the page to show something. Testing Library's default of 1 s
// is the time a lazy page and its first answers take on a busy machine; the tests assert what
// the page shows, never how fast. 4 s was not enough beside two CPU hogs (a `findBy` gave up
// at 4.3 s); waiting longer costs nothing when the page does show up.
configure({ asyncUtilTimeout: 15_000 });

beforeEach(() => {
  // A test that sets up no fake server sees no server at all, never the real network.
  vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch: no fake server in this test")));
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});
