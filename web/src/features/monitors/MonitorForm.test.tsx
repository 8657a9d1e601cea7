import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Me, Monitor, OrgToken, Role, ServerInfo } from "@/api/client";
import { ALL_SECTIONS, aCredential, aMember, aMonitor, anOrg, aServer, aToken, ME } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, renderApp } from "@/test/render";

// What /api/orgs/acme/github-tokens lists: your own token, and those others offered to the org.
const BEA = aToken({
  mine: false,
  user_id: "00000000-0000-4000-8000-000000000002",
  login: "bea",
  token_hint: "…WxYz",
  private_access: false,
});
const CARL = aToken({
  mine: false,
  user_id: "00000000-0000-4000-8000-000000000003",
  login: "carl",
  token_hint: "…Qr12",
  private_access: false,
  usable: false,
});
const MINE = aToken();

interface Setup {
  role?: Role;
  me?: Me;
  monitors?: Monitor[];
  tokens?: OrgToken[];
  info?: ServerInfo;
  extra?: Record<string, Handler>;
}

function server({
  role = "member",
  me = { ...ME, github: MINE },
  monitors = [],
  tokens = [MINE, BEA, CARL],
  info = aServer(),
  extra = {},
}: Setup = {}) {
  return fakeServer({
    "/api/me": () => json(me),
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
    "/api/orgs/acme/channels": () => json([]),
    "/api/orgs/acme/github-tokens": () => json(tokens),
    "/api/server": () => json(info),
    ...extra,
  });
}

/** Puts `text` in a field at once: typing it key by key is slow on a busy machine. */
async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.click(field);
  await user.paste(text);
}

async function addForm() {
  return screen.findByRole("form", { name: "Add a monitor" });
}

function sectionBoxes(form: HTMLElement) {
  const group = within(form).getByRole("group", { name: "Sections" });
  return within(group).getAllByRole("checkbox");
}

function optionLabels(select: HTMLElement) {
  return within(select)
    .getAllByRole("option")
    .map((option) => [option.textContent, (option as HTMLOptionElement).disabled]);
}

describe("Adding a monitor", () => {
  it("sends the sections, token, bots and options chosen, then lists the monitor", async () => {
    const monitors: Monitor[] = [];
    const bodies: unknown[] = [];
    server({
      monitors,
      extra: {
        "/api/orgs/acme/monitors": methods({
          get: () => json(monitors),
          post: async (request) => {
            bodies.push(await request.json());
            const made = aMonitor({
              name: "Widgets",
              credential: BEA,
              sections: ["shipped", "in_review", "needs_attention", "new_contributors", "numbers"],
              stale_days: 5,
            });
            monitors.push(made);
            return json(made, 201);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    // Every section is on until someone turns one off.
    expect(sectionBoxes(form).map((box) => (box as HTMLInputElement).checked)).toEqual(ALL_SECTIONS.map(() => true));
    await fill(user, within(form).getByLabelText("Repository"), " acme/widgets ");
    await fill(user, within(form).getByLabelText("Name (optional)"), "Widgets");
    await user.selectOptions(await within(form).findByLabelText("GitHub token"), BEA.user_id as string);
    await user.click(within(form).getByRole("checkbox", { name: "Needs attention: issues no one has answered yet" }));
    await user.click(within(form).getByRole("checkbox", { name: "Releases" }));
    await fill(user, within(form).getByLabelText("Extra bot names"), "ci-bot, deploy-bot ci-bot");
    await user.click(within(form).getByRole("checkbox", { name: "Skip empty digests" }));
    await user.click(within(form).getByRole("checkbox", { name: "Let the AI writer read pull request descriptions" }));
    await user.selectOptions(within(form).getByLabelText("Writer"), "builtin");
    await user.clear(within(form).getByLabelText("Stale after (days)"));
    await user.type(within(form).getByLabelText("Stale after (days)"), "5");
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));

    expect(await within(form).findByRole("status")).toHaveTextContent("Added Widgets.");
    expect(bodies).toEqual([
      {
        source: "acme/widgets",
        name: "Widgets",
        credential_user_id: BEA.user_id,
        sections: ["shipped", "in_review", "needs_attention", "new_contributors", "numbers"],
        extra_bots: ["ci-bot", "deploy-bot"],
        include_bots: false,
        skip_empty: true,
        include_pr_descriptions: true,
        writer: "builtin",
        stale_days: 5,
        paused: false,
        // Made by hand until a schedule is chosen, in the browser's zone; sent nowhere.
        schedule: { kind: "manual", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone },
        channel_ids: [],
      },
    ]);
    const row = await screen.findByTestId("monitor-row");
    expect(row).toHaveTextContent("Widgets");
    expect(row).toHaveTextContent("Reads with bea's GitHub token (…WxYz).");
    expect(within(row).getByTestId("monitor-settings")).toHaveTextContent(
      "Sections: Shipped, Pull requests needing attention, Needs attention, New contributors, Numbers",
    );
    // The form is ready for the next one.
    expect(within(form).getByLabelText("Repository")).toHaveValue("");
    expect(sectionBoxes(form).every((box) => (box as HTMLInputElement).checked)).toBe(true);
  });

  it("offers your token first, then the org's, marking private access and tokens that no longer work", async () => {
    server();
    renderApp("/orgs/acme/monitors");

    const select = await within(await addForm()).findByLabelText("GitHub token");
    await within(select).findByRole("option", { name: /bea/ });
    expect(optionLabels(select)).toEqual([
      ["Your token: mona · …AbCd · private access", false],
      ["bea · …WxYz · public repositories", false],
      ["carl · …Qr12 · public repositories · no longer works", true],
    ]);
    expect(select).toHaveValue("");
  });

  it("reads with no token when you have not connected GitHub, unless you pick a member's", async () => {
    server({ me: { ...ME, github: null }, tokens: [BEA] });
    renderApp("/orgs/acme/monitors");

    const select = await within(await addForm()).findByLabelText("GitHub token");
    await within(select).findByRole("option", { name: /bea/ });
    expect(optionLabels(select)).toEqual([
      ["None yet: runs need a connected GitHub token", false],
      ["bea · …WxYz · public repositories", false],
    ]);
  });

  it("lists your token and those offered to the org only, and says saving offers yours when it is not yet", async () => {
    const notOffered = aToken({
      mine: false,
      offered: false,
      user_id: "00000000-0000-4000-8000-000000000004",
      login: "dan",
    });
    server({ tokens: [aToken({ offered: false }), BEA, notOffered] });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    const select = await within(form).findByLabelText("GitHub token");
    await within(select).findByRole("option", { name: /bea/ });
    expect(optionLabels(select)).toEqual([
      ["Your token: mona · …AbCd · private access", false],
      ["bea · …WxYz · public repositories", false],
    ]);
    const offers = "Saving offers your token to Acme: its monitors may read GitHub with it until you withdraw it.";
    expect(within(form).getByTestId("token-offer-hint")).toHaveTextContent(offers);
    expect(select).toHaveAccessibleDescription(expect.stringContaining(offers));

    await user.selectOptions(select, BEA.user_id as string);
    expect(within(form).queryByTestId("token-offer-hint")).not.toBeInTheDocument();
  });

  it("says nothing of offering when your token is offered already", async () => {
    server();
    renderApp("/orgs/acme/monitors");

    const select = await within(await addForm()).findByLabelText("GitHub token");
    await within(select).findByRole("option", { name: /bea/ });
    expect(screen.queryByTestId("token-offer-hint")).not.toBeInTheDocument();
  });

  it("sends several repositories, or an owner with its patterns, as one monitor", async () => {
    const bodies: Record<string, unknown>[] = [];
    server({
      extra: {
        "/api/orgs/acme/monitors": methods({
          get: () => json([]),
          post: async (request) => {
            bodies.push((await request.json()) as Record<string, unknown>);
            return json(aMonitor({ name: "acme", source: "acme/*" }), 201);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    await user.selectOptions(within(form).getByLabelText("Follows"), "several");
    expect(within(form).queryByLabelText("Repository")).not.toBeInTheDocument();
    await fill(user, within(form).getByLabelText("Repositories"), "acme/api\nacme/web, acme/api");
    // A GitHub read needs a token, whichever repositories.
    expect(await within(form).findByLabelText("GitHub token")).toBeInTheDocument();
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));
    expect(await within(form).findByRole("status")).toHaveTextContent("Added acme.");

    await user.selectOptions(within(form).getByLabelText("Follows"), "owner");
    await fill(user, within(form).getByLabelText("Owner"), "acme");
    await user.clear(within(form).getByLabelText("Include patterns"));
    await fill(user, within(form).getByLabelText("Include patterns"), "api-*, web");
    await fill(user, within(form).getByLabelText("Exclude patterns"), "*-old");
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));
    await waitFor(() => expect(bodies).toHaveLength(2));

    expect(bodies[0]).toMatchObject({ repositories: ["acme/api", "acme/web"] });
    expect(bodies[0]).not.toHaveProperty("source");
    expect(bodies[1]).toMatchObject({ github_owner: { owner: "acme", include: ["api-*", "web"], exclude: ["*-old"] } });
    expect(bodies[1]).not.toHaveProperty("repositories");
  });

  it("says a local path cannot be one of several repositories, before asking the server", async () => {
    const fetchMock = server();
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    await user.selectOptions(within(form).getByLabelText("Follows"), "several");
    await fill(user, within(form).getByLabelText("Repositories"), "acme/api\n/srv/code");
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("a local repository needs a monitor of its own");
    expect(fetchMock.mock.calls.filter(([request]) => (request as Request).method === "POST")).toHaveLength(0);
  });

  it("asks for no GitHub token for a local repository", async () => {
    const bodies: unknown[] = [];
    server({
      info: aServer({ github_sign_in: false, local_sources: true }),
      extra: {
        "/api/orgs/acme/monitors": methods({
          get: () => json([]),
          post: async (request) => {
            bodies.push(await request.json());
            return json(aMonitor({ name: "code", source: "/srv/code", source_kind: "git", credential: null }), 201);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    expect(await within(form).findByLabelText("GitHub token")).toBeInTheDocument();
    await fill(user, within(form).getByLabelText("Repository"), "/srv/code");
    expect(within(form).queryByLabelText("GitHub token")).not.toBeInTheDocument();
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));

    expect(await within(form).findByRole("status")).toHaveTextContent("Added code.");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toHaveProperty("credential_user_id");
  });

  it("shows the server's sentence next to the form and keeps what was typed", async () => {
    const sentence = "That member has not connected a GitHub token yet; choose someone who has.";
    server({
      extra: {
        "/api/orgs/acme/monitors": methods({ get: () => json([]), post: () => json({ detail: sentence }, 400) }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    await fill(user, within(form).getByLabelText("Repository"), "acme/secret");
    await fill(user, within(form).getByLabelText("Name (optional)"), "Secret");
    await user.click(within(form).getByRole("checkbox", { name: "Numbers" }));
    await fill(user, within(form).getByLabelText("Extra bot names"), "ci-bot");
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));

    expect(await within(form).findByRole("alert")).toHaveTextContent(sentence);
    expect(within(form).getByLabelText("Repository")).toHaveValue("acme/secret");
    expect(within(form).getByLabelText("Name (optional)")).toHaveValue("Secret");
    expect(within(form).getByRole("checkbox", { name: "Numbers" })).not.toBeChecked();
    expect(
      within(form).getByRole("checkbox", { name: "Needs attention: issues no one has answered yet" }),
    ).toBeChecked();
    expect(within(form).getByLabelText("Extra bot names")).toHaveValue("ci-bot");
  });

  it("says what is wrong with a stale threshold before asking the server", async () => {
    const fetchMock = server();
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await addForm();
    await fill(user, within(form).getByLabelText("Repository"), "acme/widgets");
    await user.clear(within(form).getByLabelText("Stale after (days)"));
    await user.type(within(form).getByLabelText("Stale after (days)"), "45");
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));

    expect(within(form).getByRole("alert")).toHaveTextContent("Stale after: a whole number of days from 1 to 30.");
    const posts = fetchMock.mock.calls.filter(([request]) => (request as Request).method === "POST");
    expect(posts).toEqual([]);
  });

  it("says the builtin writer writes every digest when no AI model is configured", async () => {
    server({ info: aServer({ llm_writer: false }) });
    renderApp("/orgs/acme/monitors");

    const writer = within(await addForm()).getByLabelText("Writer");
    await waitFor(() =>
      expect(writer).toHaveAccessibleDescription(
        "No AI model is configured on this server, so the builtin writer writes every digest.",
      ),
    );
  });

  it("says the AI model writes when one is configured", async () => {
    server({ info: aServer({ llm_writer: true }) });
    renderApp("/orgs/acme/monitors");

    const writer = within(await addForm()).getByLabelText("Writer");
    expect(writer).toHaveAccessibleDescription(
      "Automatic: the AI model writes, and the builtin writer takes over whenever it fails.",
    );
    // The note on connecting GitHub comes from the same /api/server answer.
    await screen.findByTestId("github-connection");
    expect(screen.queryByText(/No AI model is configured/)).not.toBeInTheDocument();
  });
});

describe("Editing a monitor", () => {
  const MONITOR = aMonitor({
    name: "widgets",
    sections: ["shipped", "numbers"],
    extra_bots: ["ci-bot"],
    stale_days: 4,
    writer: "llm",
  });

  it("starts from the monitor's settings and sends only what changed", async () => {
    let monitors = [MONITOR];
    const patches: unknown[] = [];
    server({
      extra: {
        "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
        [`/api/orgs/acme/monitors/${MONITOR.id}`]: methods({
          patch: async (request) => {
            const body = (await request.json()) as Partial<Monitor>;
            patches.push(body);
            monitors = [{ ...MONITOR, ...body, credential: BEA }];
            return json(monitors[0]);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Edit widgets" }));
    const form = screen.getByRole("form", { name: "Edit widgets" });
    expect(form).toHaveTextContent("acme/widgets");
    expect(within(form).queryByLabelText("Repository")).not.toBeInTheDocument();
    expect(within(form).getByLabelText("Name")).toHaveValue("widgets");
    expect(sectionBoxes(form).map((box) => (box as HTMLInputElement).checked)).toEqual([
      true, // Shipped
      false,
      false,
      false,
      false,
      false,
      true, // Numbers
    ]);
    expect(within(form).getByLabelText("Extra bot names")).toHaveValue("ci-bot");
    expect(within(form).getByLabelText("Writer")).toHaveValue("llm");
    expect(within(form).getByLabelText("Stale after (days)")).toHaveValue(4);
    const token = await within(form).findByLabelText("GitHub token");
    await within(token).findByRole("option", { name: /bea/ });
    expect(token).toHaveValue(ME.id);

    await user.clear(within(form).getByLabelText("Name"));
    await fill(user, within(form).getByLabelText("Name"), "Widgets API");
    await user.click(within(form).getByRole("checkbox", { name: "Releases" }));
    await user.selectOptions(token, BEA.user_id as string);
    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Saved Widgets API.");
    expect(patches).toEqual([
      { name: "Widgets API", credential_user_id: BEA.user_id, sections: ["shipped", "releases", "numbers"] },
    ]);
    expect(screen.queryByRole("form", { name: /Edit/ })).not.toBeInTheDocument();
    const row = screen.getByTestId("monitor-row");
    expect(row).toHaveTextContent("Widgets API");
    expect(within(row).getByTestId("monitor-settings")).toHaveTextContent("Sections: Shipped, Releases, Numbers");
  });

  it("keeps a former member's token unless another is picked, and shows the server's refusal", async () => {
    const orphan = aMonitor({ credential: aCredential({ user_id: null, login: "old-hand", token_hint: "…Zz99" }) });
    const sentence = "stale_days: Input should be less than or equal to 30.";
    const patches: unknown[] = [];
    server({
      monitors: [orphan],
      extra: {
        [`/api/orgs/acme/monitors/${orphan.id}`]: methods({
          patch: async (request) => {
            patches.push(await request.json());
            return json({ detail: sentence }, 422);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Edit widgets" }));
    const form = screen.getByRole("form", { name: "Edit widgets" });
    const token = within(form).getByLabelText("GitHub token");
    await within(token).findByRole("option", { name: /bea/ });
    expect(optionLabels(token)[0]).toEqual(["old-hand · …Zz99 · private access (current)", false]);
    expect(token).toHaveValue("");
    await user.click(within(form).getByRole("checkbox", { name: "Count bots as people" }));
    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await within(form).findByRole("alert")).toHaveTextContent(sentence);
    expect(patches).toEqual([{ include_bots: true }]);
    expect(within(form).getByRole("checkbox", { name: "Count bots as people" })).toBeChecked();
  });

  it("switches to your token, saying that saving offers it to the org", async () => {
    const monitor = aMonitor({ credential: BEA });
    const patches: unknown[] = [];
    server({
      monitors: [monitor],
      tokens: [aToken({ offered: false }), BEA],
      extra: {
        [`/api/orgs/acme/monitors/${monitor.id}`]: methods({
          patch: async (request) => {
            patches.push(await request.json());
            return json({ ...monitor, credential: MINE });
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Edit widgets" }));
    const form = screen.getByRole("form", { name: "Edit widgets" });
    const token = within(form).getByLabelText("GitHub token");
    await within(token).findByRole("option", { name: /Your token/ });
    expect(token).toHaveValue(BEA.user_id);
    expect(within(form).queryByTestId("token-offer-hint")).not.toBeInTheDocument();

    await user.selectOptions(token, ME.id);
    expect(within(form).getByTestId("token-offer-hint")).toHaveTextContent("Saving offers your token to Acme");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Saved widgets.");
    expect(patches).toEqual([{ credential_user_id: ME.id }]);
  });

  it("closes without a request when nothing changed", async () => {
    const fetchMock = server({ monitors: [MONITOR] });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Edit widgets" }));
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(screen.queryByRole("form", { name: "Edit widgets" })).not.toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([request]) => (request as Request).method === "PATCH")).toBe(false);
  });
});
