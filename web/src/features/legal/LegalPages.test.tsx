import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { forgetInvite, rememberInvite } from "@/features/invites/pendingInvite";
import { aServer } from "@/test/fixtures";
import { fakeServer, json, renderApp, signedOut } from "@/test/render";

import { PENDING_INVITE_KEY } from "./facts";

function signedOutServer() {
  fakeServer({ "/api/me": signedOut, "/api/server": () => json(aServer()), "/health": () => json({ status: "ok" }) });
}

afterEach(() => forgetInvite());

describe("legal pages", () => {
  it("are linked from the footer of the sign-in page, and each opens", async () => {
    signedOutServer();
    const user = userEvent.setup();
    const { router } = renderApp("/signin");

    const pages = [
      ["Terms", "/legal/terms", "Terms of Service"],
      ["Privacy", "/legal/privacy", "Privacy Policy"],
      ["Cookie Policy", "/legal/cookies", "Cookie Policy"],
    ] as const;
    for (const [link, path, title] of pages) {
      const footer = screen.getByRole("navigation", { name: "Legal" });
      await user.click(within(footer).getByRole("link", { name: link }));
      expect(await screen.findByRole("heading", { level: 1, name: title })).toBeInTheDocument();
      expect(router.state.location.pathname).toBe(path);
    }
  });

  it("say that only essential cookies are used, and name each with its purpose and lifetime", async () => {
    signedOutServer();
    renderApp("/legal/cookies");

    expect(await screen.findByText(/Infrasync uses only essential cookies/)).toBeInTheDocument();
    const rows = screen.getAllByTestId("cookie-row");
    expect(rows.map((row) => within(row).getByRole("rowheader").textContent)).toEqual([
      "infrasync_session",
      "infrasync_csrf",
      "infrasync_oauth_state",
    ]);
    expect(rows[0]).toHaveTextContent("Keeps you signed in");
    expect(rows[0]).toHaveTextContent("at most 30 days, and the session ends after 14 days without use");
    expect(rows[1]).toHaveTextContent("The same as infrasync_session.");
    expect(rows[2]).toHaveTextContent("10 minutes");
    expect(rows[2]).toHaveTextContent("sent only to /auth/github");
    expect(screen.getByText(PENDING_INVITE_KEY)).toBeInTheDocument();
  });

  it("state what is kept for how long, and name the sub-processors", async () => {
    signedOutServer();
    renderApp("/legal/privacy");

    const kept = await screen.findByRole("region", { name: "How long it is kept" });
    expect(kept).toHaveTextContent("30 days on free, 365 days on pro");
    expect(kept).toHaveTextContent("INFRASYNC_RETENTION_DAYS (30 days unless its operator set another)");
    const processors = screen.getByRole("region", { name: "Who else handles it (sub-processors)" });
    for (const name of ["GitHub", "Stripe", "The configured AI model endpoint", "The SMTP provider"]) {
      expect(within(processors).getByText(name)).toBeInTheDocument();
    }
    expect(screen.getByRole("link", { name: "settings" })).toHaveAttribute("href", "/settings");
  });

  it("name the very browser storage key the invite page uses", () => {
    rememberInvite("abc");
    expect(localStorage.getItem(PENDING_INVITE_KEY)).toBe("abc");
  });
});
