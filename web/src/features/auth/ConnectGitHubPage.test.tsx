import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { aCredential, ME } from "@/test/fixtures";
import {
  fakeServer,
  type Handler,
  json,
  methods,
  renderApp,
  setCsrfCookie,
  signedOut,
  stubPageNavigation,
} from "@/test/render";

const AUTHORIZE = "https://github.example.test/login/oauth/authorize?client_id=Iv1.test&state=abc";
const MONITORS = "/orgs/acme/monitors";

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

interface Sent {
  csrf: string | null;
  body: unknown;
}

/** A server that answers POST /auth/github/connect with `answer`, recording each one. */
function server(answer: () => Response = () => json({ authorize_url: AUTHORIZE }), me: Handler = () => json(ME)) {
  const sent: Sent[] = [];
  const fetchMock = fakeServer({
    "/api/me": me,
    "/auth/github/connect": methods({
      post: async (request) => {
        sent.push({ csrf: request.headers.get("X-CSRF-Token"), body: await request.json() });
        return answer();
      },
    }),
  });
  const writes = () => fetchMock.mock.calls.filter(([request]) => (request as Request).method !== "GET");
  return { sent, writes };
}

function continueButton() {
  return screen.findByRole("button", { name: "Continue to GitHub" });
}

describe("The GitHub consent page", () => {
  it("says what GitHub will be asked for, and starts nothing until you continue", async () => {
    clearCookie = setCsrfCookie("csrf-123");
    const assign = stubPageNavigation();
    const { sent, writes } = server();
    const user = userEvent.setup();
    renderApp(`/connect/github?return_to=${encodeURIComponent(MONITORS)}`);

    const button = await continueButton();
    expect(screen.getByRole("heading", { level: 1, name: "Connect GitHub" })).toBeInTheDocument();
    expect(screen.getByTestId("connect-scopes")).toHaveTextContent("Read access to public repositories");
    expect(screen.getByTestId("connect-scopes")).not.toHaveTextContent("repo scope");
    // Opening the page (as a cross-site link could) changed nothing.
    expect(writes()).toEqual([]);
    expect(assign).not.toHaveBeenCalled();

    await user.click(button);

    await waitFor(() => expect(assign).toHaveBeenCalledWith(AUTHORIZE));
    expect(sent).toEqual([{ csrf: "csrf-123", body: { private: false, return_to: MONITORS } }]);
    expect(screen.getByRole("button", { name: "Opening GitHub…" })).toBeDisabled();
  });

  it("with private=true, says the repo scope reads your private repositories and is audited, and asks for it", async () => {
    const assign = stubPageNavigation();
    const { sent } = server();
    const user = userEvent.setup();
    renderApp(`/connect/github?private=true&return_to=${encodeURIComponent(MONITORS)}`);

    const button = await continueButton();
    expect(screen.getByRole("heading", { level: 1, name: "Grant private repository access" })).toBeInTheDocument();
    const scopes = screen.getByTestId("connect-scopes");
    expect(scopes).toHaveTextContent("The repo scope, which gives Infrasync read access to your private repositories.");
    expect(scopes).toHaveTextContent("Your consent is recorded in the audit log.");

    await user.click(button);

    await waitFor(() => expect(assign).toHaveBeenCalledWith(AUTHORIZE));
    expect(sent).toEqual([{ csrf: null, body: { private: true, return_to: MONITORS } }]);
  });

  it("says which token a new connection replaces", async () => {
    server(undefined, () => json({ ...ME, github: aCredential({ private_access: false }) }));
    renderApp("/connect/github?private=true");

    expect(await screen.findByTestId("connect-replaces")).toHaveTextContent(
      "It replaces the GitHub token you connected before (…AbCd).",
    );
  });

  it("shows the server's sentence when it cannot start, and stays on the page", async () => {
    const sentence =
      "GitHub is not configured on this server: the operator sets INFRASYNC_GITHUB_CLIENT_ID and INFRASYNC_GITHUB_CLIENT_SECRET.";
    const assign = stubPageNavigation();
    server(() => json({ detail: sentence }, 400));
    const user = userEvent.setup();
    renderApp("/connect/github");

    await user.click(await continueButton());

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(assign).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Continue to GitHub" })).toBeEnabled();
  });

  it("goes back where you came from on Cancel, asking nothing of the server", async () => {
    const { writes } = server();
    const user = userEvent.setup();
    const { router } = renderApp(`/connect/github?private=true&return_to=${encodeURIComponent(MONITORS)}`);

    await user.click(await screen.findByRole("link", { name: "Cancel" }));

    expect(router.state.location.pathname).toBe(MONITORS);
    expect(writes()).toEqual([]);
  });

  it("never leads off-site, whatever return_to says", async () => {
    const assign = stubPageNavigation();
    const { sent } = server();
    const user = userEvent.setup();
    renderApp(`/connect/github?return_to=${encodeURIComponent("//evil.example/steal")}`);

    expect(await screen.findByRole("link", { name: "Cancel" })).toHaveAttribute("href", "/");
    await user.click(await continueButton());

    await waitFor(() => expect(assign).toHaveBeenCalledWith(AUTHORIZE));
    expect(sent).toEqual([{ csrf: null, body: { private: false, return_to: null } }]);
  });

  it("asks you to sign in first, then brings you back to this page", async () => {
    const { writes } = server(undefined, signedOut);
    renderApp("/connect/github?private=true");

    const signIn = await screen.findByRole("link", { name: "Sign in with GitHub" });
    expect(signIn).toHaveAttribute(
      "href",
      `/auth/github/login?${new URLSearchParams({ return_to: "/connect/github?private=true" })}`,
    );
    expect(screen.queryByRole("button", { name: "Continue to GitHub" })).not.toBeInTheDocument();
    expect(writes()).toEqual([]);
  });
});
