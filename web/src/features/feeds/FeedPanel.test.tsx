import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Role } from "@/api/client";
import { aCredential, aMember, aMonitor, anOrg, aServer, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const MONITOR = aMonitor();
const FEEDS = `/api/orgs/acme/feeds/${MONITOR.id}`;
const FIRST_URL = "http://127.0.0.1:8000/api/feeds/isf_firstTOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.atom";
const SECOND_URL = "http://127.0.0.1:8000/api/feeds/isf_secondTOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.atom";

function feedOut(hint: string, rotated: string | null = null) {
  return {
    monitor_id: MONITOR.id,
    monitor_name: MONITOR.name,
    token_hint: hint,
    created_at: "2026-12-01T10:00:00Z",
    rotated_at: rotated,
  };
}

function server(role: Role, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/monitors": methods({ get: () => json([MONITOR]) }),
    "/api/orgs/acme/channels": () => json([]),
    "/api/orgs/acme/github-tokens": () => json([aCredential()]),
    "/api/server": () => json(aServer()),
    ...extra,
  });
}

function requests(fetchMock: ReturnType<typeof fakeServer>) {
  return fetchMock.mock.calls.map(([input]) => {
    const request = input as Request;
    return `${request.method} ${new URL(request.url).pathname}`;
  });
}

describe("The feed panel", () => {
  it("turns the feed on, shows its URL once to copy, rotates it and turns it off", async () => {
    let feed: ReturnType<typeof feedOut> | null = null;
    const fetchMock = server("admin", {
      "/api/orgs/acme/feeds": () => json({ items: feed ? [feed] : [] }),
      [FEEDS]: methods({
        put: () => {
          feed = feedOut("isf_firs");
          return json({ ...feed, url: FIRST_URL }, 201);
        },
        delete: () => {
          feed = null;
          return noContent();
        },
      }),
      [`${FEEDS}/rotate`]: methods({
        post: () => {
          feed = feedOut("isf_seco", "2026-12-03T09:00:00Z");
          return json({ ...feed, url: SECOND_URL });
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const panel = await screen.findByTestId("feed-panel");
    expect(await within(panel).findByTestId("feed-status")).toHaveTextContent("Atom feed off.");
    await user.click(within(panel).getByRole("button", { name: `Turn on the feed of ${MONITOR.name}` }));

    const once = await within(panel).findByRole("region", { name: `Feed URL of ${MONITOR.name}` });
    expect(within(once).getByRole("textbox", { name: "Feed URL" })).toHaveValue(FIRST_URL);
    expect(once).toHaveTextContent("shown only this once");
    expect(within(once).getByRole("button", { name: "Copy feed url" })).toBeInTheDocument();
    await waitFor(() => expect(within(panel).getByTestId("feed-status")).toHaveTextContent("Atom feed on (isf_firs…)"));

    await user.click(within(once).getByRole("button", { name: "Done" }));
    expect(within(panel).queryByRole("region", { name: /Feed URL/ })).not.toBeInTheDocument();
    // Once forgotten, the URL is nowhere on the page: the list has only its hint.
    expect(document.body.innerHTML).not.toContain("isf_firstTOKEN");

    await user.click(within(panel).getByRole("button", { name: `Rotate the feed URL of ${MONITOR.name}` }));
    await user.click(within(panel).getByRole("button", { name: "Rotate" }));
    const rotated = await within(panel).findByRole("region", { name: `Feed URL of ${MONITOR.name}` });
    expect(within(rotated).getByRole("textbox", { name: "Feed URL" })).toHaveValue(SECOND_URL);
    await waitFor(() => expect(within(panel).getByTestId("feed-status")).toHaveTextContent("isf_seco…"));

    await user.click(within(panel).getByRole("button", { name: `Turn off the feed of ${MONITOR.name}` }));
    await user.click(within(panel).getByRole("button", { name: "Turn off" }));
    await waitFor(() => expect(within(panel).getByTestId("feed-status")).toHaveTextContent("Atom feed off."));
    expect(within(panel).queryByRole("region", { name: /Feed URL/ })).not.toBeInTheDocument();

    expect(requests(fetchMock)).toEqual(
      expect.arrayContaining([`PUT ${FEEDS}`, `POST ${FEEDS}/rotate`, `DELETE ${FEEDS}`]),
    );
  });

  it("shows the server's reason when the feed cannot be turned on", async () => {
    server("owner", {
      "/api/orgs/acme/feeds": () => json({ items: [] }),
      [FEEDS]: methods({ put: () => json({ detail: "This monitor's feed is already on." }, 409) }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const panel = await screen.findByTestId("feed-panel");
    await user.click(await within(panel).findByRole("button", { name: `Turn on the feed of ${MONITOR.name}` }));
    expect(await within(panel).findByText("This monitor's feed is already on.")).toBeInTheDocument();
  });

  it.each(["member", "viewer"] as const)("is not shown to a %s, who cannot share digests", async (role) => {
    const fetchMock = server(role);
    renderApp("/orgs/acme/monitors");

    expect(await screen.findByText(MONITOR.name)).toBeInTheDocument();
    expect(screen.queryByTestId("feed-panel")).not.toBeInTheDocument();
    expect(requests(fetchMock).some((r) => r.includes("/feeds"))).toBe(false);
  });
});
