import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Credential, Role, ServerInfo } from "@/api/client";
import { aCredential, aMember, aMonitor, anOrg, aServer, aToken, ME } from "@/test/fixtures";
import { fakeServer, json, renderApp } from "@/test/render";

function server(github: Credential | null, info: ServerInfo, role: Role = "member") {
  return fakeServer({
    "/api/me": () => json({ ...ME, github }),
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/monitors": () => json([aMonitor()]),
    "/api/orgs/acme/channels": () => json([]),
    "/api/orgs/acme/github-tokens": () => json(github ? [aToken(github)] : []),
    "/api/server": () => json(info),
  });
}

const HERE = "/orgs/acme/monitors";
const BACK_HERE = "return_to=%2Forgs%2Facme%2Fmonitors";

describe("Connect GitHub", () => {
  it("asks you to connect GitHub, then come back here, when you have not", async () => {
    server(null, aServer());
    renderApp(HERE);

    const link = await screen.findByRole("link", { name: "Connect GitHub" });
    expect(link).toHaveAttribute("href", `/connect/github?${BACK_HERE}`);
    expect(screen.getByTestId("github-connection")).toHaveTextContent("Connect your GitHub account");
    expect(screen.queryByRole("link", { name: "Grant private repository access" })).not.toBeInTheDocument();
  });

  it("leads to the consent page in the app, and starts nothing on the way", async () => {
    const fetchMock = server(aCredential({ private_access: false }), aServer());
    const user = userEvent.setup();
    const { router } = renderApp(HERE);

    await user.click(await screen.findByRole("link", { name: "Grant private repository access" }));

    expect(
      await screen.findByRole("heading", { level: 1, name: "Grant private repository access" }),
    ).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/connect/github");
    expect(router.state.location.search).toBe(`?private=true&${BACK_HERE}`);
    expect(fetchMock.mock.calls.filter(([request]) => (request as Request).method !== "GET")).toEqual([]);
  });

  it("keeps the page's query when it sends you back", async () => {
    server(null, aServer());
    renderApp(`${HERE}?from=digest`);

    expect(await screen.findByRole("link", { name: "Connect GitHub" })).toHaveAttribute(
      "href",
      "/connect/github?return_to=%2Forgs%2Facme%2Fmonitors%3Ffrom%3Ddigest",
    );
  });

  it("asks you to connect again when your token no longer works, keeping private access", async () => {
    server(aCredential({ usable: false, private_access: true }), aServer());
    renderApp(HERE);

    const link = await screen.findByRole("link", { name: "Connect GitHub again" });
    expect(link).toHaveAttribute("href", `/connect/github?private=true&${BACK_HERE}`);
    expect(screen.getByTestId("github-connection")).toHaveTextContent("Your GitHub token no longer works");
  });

  it("offers private repository access to a token that reads public ones only", async () => {
    server(aCredential({ private_access: false }), aServer());
    renderApp(HERE);

    const link = await screen.findByRole("link", { name: "Grant private repository access" });
    expect(link).toHaveAttribute("href", `/connect/github?private=true&${BACK_HERE}`);
    expect(screen.queryByRole("link", { name: /^Connect GitHub/ })).not.toBeInTheDocument();
  });

  it("says you are connected, and offers nothing more, with private access", async () => {
    server(aCredential(), aServer());
    renderApp(HERE);

    expect(await screen.findByTestId("github-connection")).toHaveTextContent(
      "GitHub connected as mona (…AbCd), with private repository access.",
    );
    expect(screen.queryByRole("link", { name: /Connect GitHub|Grant private/ })).not.toBeInTheDocument();
  });

  it("offers no GitHub connection where GitHub sign-in is not set up, and says local repositories work", async () => {
    server(null, aServer({ github_sign_in: false, local_sources: true }));
    renderApp(HERE);

    expect(await screen.findByTestId("github-connection")).toHaveTextContent("Local git repositories work");
    expect(screen.queryByRole("link", { name: /Connect GitHub|Grant private/ })).not.toBeInTheDocument();
  });

  it("says nothing of GitHub or local repositories where neither can be used", async () => {
    server(null, aServer({ github_sign_in: false, local_sources: false, llm_writer: false }));
    renderApp(HERE);

    // The writer's note comes from the same /api/server answer: once it says so, all is known.
    await screen.findByText(/No AI model is configured/);
    expect(screen.queryByTestId("github-connection")).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Connect GitHub|Grant private/ })).not.toBeInTheDocument();
  });

  it("shows a viewer the way to connect too, but no form and no run button", async () => {
    server(null, aServer(), "viewer");
    renderApp(HERE);

    expect(await screen.findByRole("link", { name: "Connect GitHub" })).toBeInTheDocument();
    await screen.findByTestId("monitor-row");
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Run .* now|Edit/ })).not.toBeInTheDocument();
  });
});
