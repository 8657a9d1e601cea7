import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, renderApp } from "@/test/render";

function server(create: Handler, slugs: Record<string, string> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs": methods({ get: () => json([]), post: create }),
    "/api/org-slug": (request) => {
      const name = new URL(request.url).searchParams.get("name") ?? "";
      return json({ slug: slugs[name] ?? "org" });
    },
  });
}

describe("create an org", () => {
  it("shows the slug the server will give the name, transliterated as the server does", async () => {
    const fetchMock = server(() => json(anOrg(), 201), { "Ünïcødé Crew": "unicode-crew" });
    const user = userEvent.setup();
    renderApp("/");

    await user.type(await screen.findByLabelText("Name"), "Ünïcødé Crew");

    expect(await screen.findByTestId("slug-preview")).toHaveTextContent("unicode-crew");
    const asked = fetchMock.mock.calls
      .map(([input]) => new URL((input as Request).url))
      .filter((url) => url.pathname === "/api/org-slug");
    expect(asked.at(-1)?.searchParams.get("name")).toBe("Ünïcødé Crew");
  });

  it("says a name is too long instead of cutting it, and does not send it", async () => {
    const posted: unknown[] = [];
    server(async (request) => {
      posted.push(await request.json());
      return json(anOrg(), 201);
    });
    const user = userEvent.setup();
    renderApp("/");

    const name = await screen.findByLabelText("Name");
    await user.click(name);
    await user.paste("x".repeat(120));

    expect(name).toHaveValue("x".repeat(120)); // nothing cut off
    expect(name).toHaveAccessibleDescription("The name can be at most 100 characters; this one has 120. Shorten it.");
    expect(name).toHaveAttribute("aria-invalid", "true");
    await user.click(screen.getByRole("button", { name: "Create org" }));
    expect(posted).toEqual([]);
  });

  it("puts each of the server's 422 problems beside its field", async () => {
    server(() =>
      json(
        {
          detail: "The slug does not fit: the slug can use only lowercase letters.",
          errors: [
            {
              loc: ["body", "slug"],
              type: "string_pattern_mismatch",
              msg: "String should match pattern",
              field: "slug",
              message: "The slug does not fit: the slug can use only lowercase letters.",
            },
          ],
        },
        422,
      ),
    );
    const user = userEvent.setup();
    renderApp("/");

    await user.type(await screen.findByLabelText("Name"), "Acme");
    await user.type(screen.getByLabelText(/^Slug/), "acme");
    await user.click(screen.getByRole("button", { name: "Create org" }));

    const slug = screen.getByLabelText(/^Slug/);
    expect(await screen.findByText("The slug does not fit: the slug can use only lowercase letters.")).toBeVisible();
    expect(slug).toHaveAttribute("aria-invalid", "true");
    expect(slug).toHaveAccessibleDescription(/The slug does not fit/);
    // Said once, beside the field, not again above the form.
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});
