import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { Credential, Monitor } from "@/api/client";
import { aCredential, aMember, aMonitor, anOrg, aServer, aToken, ME } from "@/test/fixtures";
import { fakeServer, json, methods, noContent, renderApp, setCsrfCookie } from "@/test/render";

const HERE = "/orgs/acme/monitors";
const QUESTION =
  "Disconnect GitHub? Every monitor reading with your token, in every org, stops until another token is chosen.";

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

interface State {
  github: Credential | null;
  monitors: Monitor[];
}

/** A server where you are connected (`github`), until its DELETE /api/me/github says otherwise. */
function server(disconnect: (state: State) => Response, github: Credential | null = aCredential()) {
  const state: State = { github, monitors: [aMonitor()] };
  const fetchMock = fakeServer({
    "/api/me": () => json({ ...ME, github: state.github }),
    "/api/me/github": methods({ delete: () => disconnect(state) }),
    "/api/orgs/acme": () => json(anOrg()),
    "/api/orgs/acme/members": () => json([aMember()]),
    "/api/orgs/acme/monitors": () => json(state.monitors),
    "/api/orgs/acme/channels": () => json([]),
    "/api/orgs/acme/feeds": () => json({ items: [] }),
    "/api/orgs/acme/github-tokens": () => json(state.github ? [aToken(state.github)] : []),
    "/api/server": () => json(aServer()),
  });
  const deletes = () =>
    fetchMock.mock.calls
      .map(([request]) => request as Request)
      .filter((request) => request.method === "DELETE" && new URL(request.url).pathname === "/api/me/github");
  return { deletes };
}

/** What the server does: forgets the token, and the monitors reading with it let go of it. */
function forget(state: State) {
  state.github = null;
  state.monitors = [aMonitor({ credential: null })];
  return noContent();
}

describe("Disconnect GitHub", () => {
  it("disconnects only once you confirm, and the monitors reading with your token let go of it", async () => {
    clearCookie = setCsrfCookie("csrf-789");
    const { deletes } = server(forget);
    const user = userEvent.setup();
    renderApp(HERE);

    await user.click(await screen.findByRole("button", { name: "Disconnect GitHub" }));
    const question = screen.getByRole("group", { name: QUESTION });
    expect(deletes()).toEqual([]);
    await user.click(within(question).getByRole("button", { name: "Disconnect" }));

    expect(await screen.findByRole("link", { name: "Connect GitHub" })).toBeInTheDocument();
    expect(screen.getByTestId("github-connection")).toHaveTextContent("Connect your GitHub account");
    expect(deletes().map((request) => request.headers.get("X-CSRF-Token"))).toEqual(["csrf-789"]);
    expect(await screen.findByText("No GitHub token: it reads public data only, with a low rate limit.")).toBeVisible();
    expect(screen.queryByRole("button", { name: "Disconnect GitHub" })).not.toBeInTheDocument();
    expect(screen.queryByTestId("my-token-offer")).not.toBeInTheDocument();
  });

  it("can disconnect a token that no longer works, or reads public repositories only", async () => {
    for (const github of [aCredential({ usable: false }), aCredential({ private_access: false })]) {
      const { deletes } = server(forget, github);
      const user = userEvent.setup();
      const { unmount } = renderApp(HERE);

      await user.click(await screen.findByRole("button", { name: "Disconnect GitHub" }));
      await user.click(
        within(screen.getByRole("group", { name: QUESTION })).getByRole("button", { name: "Disconnect" }),
      );

      expect(await screen.findByRole("link", { name: "Connect GitHub" })).toBeInTheDocument();
      expect(deletes()).toHaveLength(1);
      unmount();
    }
  });

  it("keeps you connected when you cancel", async () => {
    const { deletes } = server(forget);
    const user = userEvent.setup();
    renderApp(HERE);

    await user.click(await screen.findByRole("button", { name: "Disconnect GitHub" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));

    expect(screen.getByRole("button", { name: "Disconnect GitHub" })).toBeInTheDocument();
    expect(screen.getByTestId("github-connection")).toHaveTextContent("GitHub connected as mona");
    expect(deletes()).toEqual([]);
  });

  it("shows the server's sentence when it refuses", async () => {
    const sentence = "Missing or wrong X-CSRF-Token header: send the value of the infrasync_csrf cookie.";
    server(() => json({ detail: sentence }, 403));
    const user = userEvent.setup();
    renderApp(HERE);

    await user.click(await screen.findByRole("button", { name: "Disconnect GitHub" }));
    await user.click(within(screen.getByRole("group", { name: QUESTION })).getByRole("button", { name: "Disconnect" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(screen.getByTestId("github-connection")).toHaveTextContent("GitHub connected as mona");
  });

  it("is not offered when you have not connected GitHub", async () => {
    server(forget, null);
    renderApp(HERE);

    expect(await screen.findByRole("link", { name: "Connect GitHub" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Disconnect GitHub" })).not.toBeInTheDocument();
  });
});
