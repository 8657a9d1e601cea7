import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { Monitor, OrgToken, Role } from "@/api/client";
import { aCredential, aMember, aMonitor, anOrg, aServer, aToken, ME } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp, setCsrfCookie } from "@/test/render";

const HERE = "/orgs/acme/monitors";
const BEA = aToken({ mine: false, user_id: "00000000-0000-4000-8000-000000000002", login: "bea", token_hint: "…WxYz" });

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

/** A server holding the org's tokens and monitors, which `mine` answers may change. */
function server({ role = "member", mine = {} }: { role?: Role; mine?: Partial<Record<"put" | "delete", Handler>> }) {
  const state: { tokens: OrgToken[]; monitors: Monitor[] } = {
    tokens: [aToken({ offered: false }), BEA],
    monitors: [aMonitor()],
  };
  const fetchMock = fakeServer({
    "/api/me": () => json({ ...ME, github: aCredential() }),
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/monitors": () => json(state.monitors),
    "/api/orgs/acme/channels": () => json([]),
    "/api/orgs/acme/github-tokens": () => json(state.tokens),
    "/api/orgs/acme/github-tokens/mine": methods(mine),
    "/api/server": () => json(aServer()),
  });
  const requests = (method: string, path: string) =>
    fetchMock.mock.calls
      .map(([request]) => request as Request)
      .filter((request) => request.method === method && new URL(request.url).pathname === path);
  return { state, requests };
}

describe("Your token and this org", () => {
  it("offers your token to the org when you ask, and says it can be withdrawn", async () => {
    clearCookie = setCsrfCookie("csrf-456");
    const { state, requests } = server({
      role: "viewer",
      mine: {
        put: () => {
          state.tokens = [aToken({ offered: true }), BEA];
          return json(state.tokens);
        },
      },
    });
    const user = userEvent.setup();
    renderApp(HERE);

    const offer = await screen.findByTestId("my-token-offer");
    expect(offer).toHaveTextContent(
      "Offering your GitHub token (…AbCd) lets the monitors of Acme read GitHub with it; you can withdraw it at any time.",
    );
    const monitorReads = requests("GET", "/api/orgs/acme/monitors").length;
    await user.click(within(offer).getByRole("button", { name: "Offer my token to Acme" }));

    expect(
      await within(offer).findByText(
        "Your GitHub token (…AbCd) is offered to Acme: its monitors may read GitHub with it.",
      ),
    ).toBeInTheDocument();
    expect(within(offer).getByRole("button", { name: "Withdraw my token" })).toBeInTheDocument();
    const puts = requests("PUT", "/api/orgs/acme/github-tokens/mine");
    expect(puts.map((request) => request.headers.get("X-CSRF-Token"))).toEqual(["csrf-456"]);
    // The monitors are asked for again: what they read with may have changed.
    await waitFor(() => expect(requests("GET", "/api/orgs/acme/monitors").length).toBeGreaterThan(monitorReads));
  });

  it("withdraws your token only once you confirm, and the monitors reading with it let go of it", async () => {
    const { state, requests } = server({
      mine: {
        delete: () => {
          state.tokens = [aToken({ offered: false }), BEA];
          state.monitors = [aMonitor({ credential: null })];
          return noContent();
        },
      },
    });
    state.tokens = [aToken({ offered: true }), BEA];
    const user = userEvent.setup();
    renderApp(HERE);

    const offer = await screen.findByTestId("my-token-offer");
    await user.click(await within(offer).findByRole("button", { name: "Withdraw my token" }));
    const question = within(offer).getByRole("group", {
      name: "Withdraw your token from Acme? Monitors reading with it stop until another token is chosen.",
    });
    expect(requests("DELETE", "/api/orgs/acme/github-tokens/mine")).toEqual([]);
    await user.click(within(question).getByRole("button", { name: "Withdraw" }));

    expect(await within(offer).findByRole("button", { name: "Offer my token to Acme" })).toBeInTheDocument();
    expect(requests("DELETE", "/api/orgs/acme/github-tokens/mine")).toHaveLength(1);
    expect(await screen.findByText("No GitHub token: it reads public data only, with a low rate limit.")).toBeVisible();
  });

  it("keeps your token offered when you cancel the withdrawal", async () => {
    const { state, requests } = server({ mine: { delete: noContent } });
    state.tokens = [aToken({ offered: true })];
    const user = userEvent.setup();
    renderApp(HERE);

    const offer = await screen.findByTestId("my-token-offer");
    await user.click(await within(offer).findByRole("button", { name: "Withdraw my token" }));
    await user.click(within(offer).getByRole("button", { name: "Cancel" }));

    expect(within(offer).getByRole("button", { name: "Withdraw my token" })).toBeInTheDocument();
    expect(requests("DELETE", "/api/orgs/acme/github-tokens/mine")).toEqual([]);
  });

  it("shows the server's sentence when it refuses the offer", async () => {
    const sentence = "Connect GitHub first: you have no usable GitHub token to offer.";
    server({ mine: { put: () => json({ detail: sentence }, 400) } });
    const user = userEvent.setup();
    renderApp(HERE);

    const offer = await screen.findByTestId("my-token-offer");
    await user.click(within(offer).getByRole("button", { name: "Offer my token to Acme" }));

    expect(await within(offer).findByRole("alert")).toHaveTextContent(sentence);
  });

  it("shows nothing of the kind when you have no token, whatever others offered", async () => {
    const { state } = server({});
    state.tokens = [BEA];
    renderApp(HERE);

    await screen.findByTestId("monitor-row");
    // The token choice lists bea's, so the org's tokens have arrived.
    await within(await screen.findByLabelText("GitHub token")).findByRole("option", { name: /bea/ });
    expect(screen.queryByTestId("my-token-offer")).not.toBeInTheDocument();
  });
});
