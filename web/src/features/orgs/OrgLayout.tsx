import { Building2 } from "lucide-react";
import { type ReactNode, type RefObject, Suspense, useLayoutEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation, useOutletContext, useParams } from "react-router";

import type { Org, Role } from "@/api/client";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { RequireSignIn } from "@/features/auth/RequireSignIn";
import { atLeast, ROLE_LABELS } from "@/lib/roles";
import { cn } from "@/lib/utils";

import { useOrg } from "./queries";

export interface OrgOutletContext {
  org: Org;
}

/** The org a page under `/orgs/:slug` belongs to, with my role in it. */
export function useCurrentOrg(): Org {
  return useOutletContext<OrgOutletContext>().org;
}

// "." is the org's index: the dashboard, its landing page.
const TABS: { to: string; label: string; needs: Role }[] = [
  { to: ".", label: "Dashboard", needs: "viewer" },
  { to: "members", label: "Members", needs: "viewer" },
  { to: "monitors", label: "Monitors", needs: "viewer" },
  { to: "digests", label: "Digests", needs: "viewer" },
  { to: "channels", label: "Channels", needs: "admin" },
  { to: "invites", label: "Invites", needs: "admin" },
  { to: "api-keys", label: "API keys", needs: "admin" },
  { to: "audit", label: "Audit log", needs: "admin" },
  { to: "billing", label: "Billing", needs: "viewer" },
  { to: "settings", label: "Settings", needs: "viewer" },
];

/** The section a path under /orgs/:slug/ shows, by its tab's label ("Digest" for one digest). */
export function sectionOf(pathname: string, slug: string): string | null {
  const rest = pathname.slice(`/orgs/${slug}/`.length).split("/").filter(Boolean);
  const [first, second] = rest;
  if (!first) return "Dashboard";
  if (first === "digests" && second) return "Digest";
  return TABS.find((tab) => tab.to === first)?.label ?? null;
}

/** The browser tab's title: the page, then the org, then the product ("Monitors · Acme · Infrasync"). */
export function pageTitle(section: string | null, orgName: string): string {
  return [section, orgName, "Infrasync"].filter(Boolean).join(" · ");
}

export function OrgLayout() {
  return (
    <RequireSignIn>
      <OrgShell />
    </RequireSignIn>
  );
}

/** Scrolls the tab strip sideways (never the page) so that the active tab shows: on a
 * phone the strip is wider than the screen, and Settings or Audit log would otherwise be
 * off to the right, with nothing saying which section is open. */
function useActiveTabInView(strip: RefObject<HTMLElement | null>, pathname: string, ready: boolean) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: the path and the org's arrival change which tab is active, and are all the effect has to watch.
  useLayoutEffect(() => {
    const nav = strip.current;
    const active = nav?.querySelector<HTMLElement>('[aria-current="page"]');
    if (!nav || !active) return;
    const shown = nav.getBoundingClientRect();
    const tab = active.getBoundingClientRect();
    // The strip's own side padding, so the tab does not end flush with the screen's edge.
    const margin = 16;
    if (tab.left < shown.left) nav.scrollLeft -= shown.left - tab.left + margin;
    else if (tab.right > shown.right) nav.scrollLeft += tab.right - shown.right + margin;
  }, [strip, pathname, ready]);
}

function OrgShell() {
  const { slug = "" } = useParams();
  const { pathname } = useLocation();
  const org = useOrg(slug);
  const strip = useRef<HTMLElement>(null);
  useActiveTabInView(strip, pathname, org.isSuccess);

  if (org.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600">
        Loading the org…
      </p>
    );
  }
  if (org.isError) {
    const missing = org.error instanceof ApiError && org.error.status === 404;
    return (
      <section aria-labelledby="org-error-title" className="mx-auto flex max-w-lg flex-col items-start gap-4 py-8">
        <title>Org not found · Infrasync</title>
        <h1 id="org-error-title" className="text-3xl font-bold tracking-tight text-slate-900">
          {missing ? "Org not found" : "Could not open this org"}
        </h1>
        <ErrorMessage error={org.error} />
        <Button asChild variant="outline">
          <Link to="/">Back to your orgs</Link>
        </Button>
      </section>
    );
  }

  const current = org.data;
  const tabs = TABS.filter((tab) => atLeast(current.role, tab.needs));
  return (
    <div className="flex flex-col gap-6">
      <title>{pageTitle(sectionOf(pathname, current.slug), current.name)}</title>
      <div className="flex items-start gap-3">
        <Building2 aria-hidden="true" className="mt-1 size-7 shrink-0 text-slate-500" />
        {/* A long name wraps (index.css lets it break anywhere) rather than being cut short. */}
        <div className="flex min-w-0 flex-1 flex-col">
          <h1 className="text-3xl font-bold tracking-tight text-slate-900">{current.name}</h1>
          <p className="text-sm text-slate-600">
            {current.slug} · you are <span data-testid="my-role">{ROLE_LABELS[current.role].toLowerCase()}</span>
          </p>
        </div>
      </div>
      {/* The strip scrolls sideways on a phone, and a scroller clips whatever reaches past
          it: so the bottom line is the list's inset shadow (not a border the tabs overlap
          with -1px) and the focus ring is inset, both inside the strip's box. */}
      <nav ref={strip} aria-label="Org sections" className="-mx-4 overflow-x-auto px-4 sm:mx-0 sm:px-0">
        <ul className="flex w-max min-w-full gap-1 shadow-[inset_0_-1px_0_var(--color-slate-200)]">
          {tabs.map((tab) => (
            <li key={tab.to}>
              <NavLink
                to={tab.to}
                // The dashboard's path is every section's prefix: active on its own path only.
                end={tab.to === "."}
                className={({ isActive }) =>
                  cn(
                    "inline-flex h-10 items-center whitespace-nowrap rounded-t-md border-b-2 px-3 text-sm font-medium outline-none transition-colors focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500",
                    isActive
                      ? "border-indigo-600 text-indigo-700"
                      : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900",
                  )
                }
              >
                {tab.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Suspense
        fallback={
          <p role="status" className="text-sm text-slate-600">
            Loading…
          </p>
        }
      >
        <Outlet context={{ org: current } satisfies OrgOutletContext} />
      </Suspense>
    </div>
  );
}

/** Shown in place of a section the current role cannot use (the server would refuse it too). */
export function NeedsRole({ org, needs, children }: { org: Org; needs: Role; children: ReactNode }) {
  if (atLeast(org.role, needs)) return children;
  return (
    <ErrorMessage
      message={`This needs the ${needs} role or higher in ${org.name}; you are ${org.role}.`}
      className="max-w-xl"
    />
  );
}
