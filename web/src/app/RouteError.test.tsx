import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, json, renderApp } from "@/test/render";

// The Monitors page's chunk cannot be fetched, as after a redeploy (its file is gone) or
// offline: the dynamic import in routes.tsx rejects.
vi.mock("@/features/monitors/MonitorsPage", () => {
  throw new TypeError("Failed to fetch dynamically imported module: /assets/MonitorsPage-old.js");
});

function orgServer() {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg()),
    "/api/orgs/acme/members": () => json([]),
    "/api/orgs/acme/invites": () => json([]),
  });
}

beforeEach(() => {
  // React Router logs each error a boundary catches; here they are the point.
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("a page whose chunk cannot be loaded", () => {
  it("offers a reload under the org's header and tabs, not the developer screen", async () => {
    orgServer();
    const reload = vi.fn();
    vi.stubGlobal("location", { ...window.location, reload });
    renderApp("/orgs/acme/monitors");

    const problem = await screen.findByTestId("route-error");
    expect(within(problem).getByRole("heading", { name: "This page could not be loaded" })).toBeInTheDocument();
    expect(problem).toHaveTextContent("Infrasync may have been updated since this tab was opened");
    expect(screen.queryByText(/Unexpected Application Error/)).not.toBeInTheDocument();
    // The app's header and the org's tabs stay.
    expect(screen.getByRole("banner")).toHaveTextContent("Infrasync");
    const tabs = screen.getByRole("navigation", { name: "Org sections" });
    expect(within(tabs).getByRole("link", { name: "Members" })).toBeInTheDocument();

    await userEvent.setup().click(within(problem).getByRole("button", { name: "Reload" }));
    expect(reload).toHaveBeenCalledOnce();
  });

  it("leaves the offer when another tab is opened", async () => {
    orgServer();
    renderApp("/orgs/acme/monitors");
    await screen.findByTestId("route-error");

    const tabs = screen.getByRole("navigation", { name: "Org sections" });
    await userEvent.setup().click(within(tabs).getByRole("link", { name: "Members" }));

    expect(await screen.findByRole("heading", { name: /members/i })).toBeInTheDocument();
    expect(screen.queryByTestId("route-error")).not.toBeInTheDocument();
  });

  it("says the browser is offline when it is", async () => {
    orgServer();
    vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    renderApp("/orgs/acme/monitors");

    const problem = await screen.findByTestId("route-error");
    expect(within(problem).getByRole("heading", { name: "You are offline" })).toBeInTheDocument();
    expect(within(problem).getByRole("button", { name: "Reload" })).toBeInTheDocument();
    expect(screen.getByTestId("connection-banner")).toHaveTextContent("You are offline");
  });
});

describe("an org page's title", () => {
  it("names the page and the org", async () => {
    orgServer();
    renderApp("/orgs/acme/members");
    await screen.findByRole("heading", { name: /members/i });
    await vi.waitFor(() => expect(document.title).toBe(`Members · ${anOrg().name} · Infrasync`));
  });
});
