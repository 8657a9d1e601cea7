import { useQuery } from "@tanstack/react-query";
import { Building2, ChevronRight, MailOpen, RotateCcw } from "lucide-react";
import { type ReactNode, useState } from "react";
import { Link } from "react-router";

import type { Org } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { forgetInvite, pendingInvite } from "@/features/invites/pendingInvite";
import { formatDate } from "@/lib/format";
import { ROLE_LABELS } from "@/lib/roles";

import { CreateOrgForm } from "./CreateOrgForm";
import { orgListQuery, useRestoreOrg } from "./queries";

/** The signed-in home page: my orgs, a form for a new one, and deleted ones I can restore. */
export function YourOrgs({ aside }: { aside?: ReactNode }) {
  const orgs = useQuery(orgListQuery);
  const active = orgs.data?.filter((org) => org.deleted_at === null) ?? [];
  const deleted = orgs.data?.filter((org) => org.deleted_at !== null && org.role === "owner") ?? [];

  return (
    <div className="grid grid-cols-1 gap-8 lg:grid-cols-[minmax(0,1fr)_22rem] lg:items-start">
      <title>Your orgs · Infrasync</title>
      <div className="flex flex-col gap-8">
        <section aria-labelledby="orgs-title" className="flex flex-col gap-4">
          <h1 id="orgs-title" className="text-3xl font-bold tracking-tight text-slate-900">
            Your orgs
          </h1>
          <PendingInvite />
          {orgs.isPending && (
            <p role="status" className="text-sm text-slate-600">
              Loading your orgs…
            </p>
          )}
          {orgs.isError && <ErrorMessage error={orgs.error} />}
          {orgs.isSuccess && active.length === 0 && (
            <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
              You are not in any org yet. Create one, or ask an admin of your team's org for an invite link.
            </p>
          )}
          {active.length > 0 && (
            <ul aria-label="Your orgs" className="flex flex-col gap-3">
              {active.map((org) => (
                <li key={org.id}>
                  <OrgRow org={org} />
                </li>
              ))}
            </ul>
          )}
        </section>
        {deleted.length > 0 && <DeletedOrgs orgs={deleted} />}
      </div>
      <div className="flex flex-col gap-6">
        <CreateOrgForm />
        {aside}
      </div>
    </div>
  );
}

function OrgRow({ org }: { org: Org }) {
  return (
    <Link
      to={`/orgs/${encodeURIComponent(org.slug)}`}
      className="group flex items-center gap-4 rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-sm outline-none transition-colors hover:border-indigo-300 focus-visible:ring-2 focus-visible:ring-indigo-500"
    >
      <Building2 aria-hidden="true" className="size-5 shrink-0 text-slate-500" />
      <span className="flex min-w-0 flex-1 flex-col">
        <span className="truncate font-semibold text-slate-900">{org.name}</span>
        <span className="truncate text-sm text-slate-600">{org.slug}</span>
      </span>
      <Badge variant="secondary">{ROLE_LABELS[org.role]}</Badge>
      <ChevronRight aria-hidden="true" className="size-4 shrink-0 text-slate-400 group-hover:text-indigo-600" />
    </Link>
  );
}

function DeletedOrgs({ orgs }: { orgs: Org[] }) {
  const restore = useRestoreOrg();
  return (
    <Card role="region" aria-labelledby="deleted-orgs-title">
      <CardHeader>
        <CardTitle id="deleted-orgs-title">Deleted orgs</CardTitle>
        <CardDescription>
          Only owners see these. Restore one to bring it back for all its members, before it is purged for good.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        {restore.isError && <ErrorMessage error={restore.error} />}
        <ul aria-label="Deleted orgs" className="divide-y divide-slate-100">
          {orgs.map((org) => (
            <li key={org.id} className="flex items-center gap-4 py-3 first:pt-0 last:pb-0">
              <span className="flex min-w-0 flex-1 flex-col">
                <span className="truncate font-medium text-slate-900">{org.name}</span>
                <span className="text-sm text-slate-600" data-testid="deleted-org-dates">
                  {org.slug} · deleted {org.deleted_at ? formatDate(org.deleted_at) : ""}
                  {org.restorable_until ? ` · restorable until ${formatDate(org.restorable_until)}` : ""}
                </span>
              </span>
              <Button
                variant="outline"
                size="sm"
                aria-label={`Restore ${org.name}`}
                disabled={restore.isPending}
                onClick={() => restore.mutate(org.slug)}
              >
                <RotateCcw aria-hidden="true" />
                Restore
              </Button>
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

/** Leads back to an invite the user opened before signing in with a one-time link. */
function PendingInvite() {
  const [token, setToken] = useState(pendingInvite);
  if (!token) return null;
  return (
    <Alert variant="info" role="region" aria-label="Invite waiting">
      <MailOpen aria-hidden="true" className="text-indigo-600" />
      <div className="flex flex-1 flex-wrap items-center gap-x-4 gap-y-2">
        <p className="flex-1">You opened an invite link before signing in.</p>
        <div className="flex gap-2">
          <Button asChild size="sm" variant="primary">
            <Link to={`/invites/${encodeURIComponent(token)}`}>Open the invite</Link>
          </Button>
          <Button
            size="sm"
            variant="ghost"
            onClick={() => {
              forgetInvite();
              setToken(null);
            }}
          >
            Dismiss
          </Button>
        </div>
      </div>
    </Alert>
  );
}
