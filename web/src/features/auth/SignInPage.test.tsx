import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeServer, json, renderApp, signedOut } from "@/test/render";

const SERVER_WITHOUT_GITHUB = { version: "1.0.0", github_sign_in: false, local_sources: false, llm_writer: false };

const sentences: [string, string][] = [
  [
    "github_not_configured",
    "GitHub sign-in is not set up on this server. Ask your administrator for a one-time sign-in link.",
  ],
  [
    "bad_state",
    "This sign-in was started in another browser or tab, or its link was damaged on the way. Please start again.",
  ],
  ["state_reused", "This sign-in attempt was already used. Please start again."],
  ["state_expired", "Signing in took too long, so it timed out. Please start again."],
  [
    "access_denied",
    "You declined access on GitHub, so you are not signed in. Start again and authorize Infrasync to sign in.",
  ],
  ["github_error", "GitHub reported a problem with this sign-in. Please start again."],
  [
    "code_rejected",
    "GitHub did not accept this sign-in (its code had expired or was already used). Please start again.",
  ],
  ["github_unavailable", "GitHub could not be reached. Please try again shortly."],
  [
    "account_deleted",
    "This account is deleted. Signing in with GitHub within the retention period after deleting it offers to restore it; after that it is gone for good. Ask your administrator if you think this is a mistake.",
  ],
  [
    "link_invalid",
    "This sign-in link is not valid. Check that you copied all of it, or ask your administrator for a new one.",
  ],
  ["link_used", "This one-time sign-in link has already been used. Ask your administrator for a new one."],
  ["link_expired", "This sign-in link has expired: links work for 15 minutes. Ask your administrator for a new one."],
  [
    "connect_needs_sign_in",
    "Connecting GitHub needs you to be signed in to Infrasync in this browser. Sign in, then connect GitHub again.",
  ],
  ["something_new", "Sign-in did not finish. Please start again; if it keeps failing, ask your administrator."],
  ["toString", "Sign-in did not finish. Please start again; if it keeps failing, ask your administrator."],
];

describe("sign-in page", () => {
  it.each(sentences)("explains ?error=%s", async (code, sentence) => {
    const fetchMock = fakeServer({ "/api/me": signedOut });
    renderApp(`/signin?error=${code}`);

    expect(screen.getByRole("heading", { level: 1, name: "Sign in to Infrasync" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(sentence);
    expect(await screen.findByRole("link", { name: "Sign in with GitHub" })).toHaveAttribute(
      "href",
      "/auth/github/login",
    );
    // One way in only: the header has no second sign-in button here.
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(screen.getAllByRole("link", { name: /Sign in/ })).toHaveLength(1);
  });

  it("tells a server without GitHub how the administrator makes a sign-in link", async () => {
    fakeServer({ "/api/me": signedOut });
    renderApp("/signin?error=github_not_configured");

    expect(await screen.findByText("infrasync admin login-link")).toBeInTheDocument();
  });

  it("offers no GitHub button where the server has no GitHub sign-in, and says how to get in", async () => {
    fakeServer({ "/api/me": signedOut, "/api/server": () => json(SERVER_WITHOUT_GITHUB) });
    renderApp("/signin");

    expect(await screen.findByTestId("no-github-sign-in")).toHaveTextContent(
      "GitHub sign-in is not set up on this server",
    );
    expect(screen.getByText("infrasync admin login-link")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Sign in with GitHub" })).not.toBeInTheDocument();
  });

  it("offers the GitHub button where the server has GitHub sign-in", async () => {
    fakeServer({ "/api/me": signedOut, "/api/server": () => json({ ...SERVER_WITHOUT_GITHUB, github_sign_in: true }) });
    renderApp("/signin?return_to=/settings");

    expect(await screen.findByRole("link", { name: "Sign in with GitHub" })).toHaveAttribute(
      "href",
      "/auth/github/login?return_to=%2Fsettings",
    );
    expect(screen.queryByTestId("no-github-sign-in")).not.toBeInTheDocument();
  });

  it("shows no error without a code", async () => {
    fakeServer({ "/api/me": signedOut });
    renderApp("/signin");

    expect(await screen.findByRole("link", { name: "Sign in with GitHub" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.queryByText("infrasync admin login-link")).not.toBeInTheDocument();
  });
});
