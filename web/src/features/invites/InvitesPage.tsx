import { useQuery } from "@tanstack/react-query";
import { Link2 } from "lucide-react";
import { type FormEvent, useId, useState } from "react";

import type { Invite, InviteCreated, Org, Role } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { ShownOnce } from "@/components/ShownOnce";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NeedsRole, useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDate, formatDateTime } from "@/lib/format";
import { grantableRoles, ROLE_DESCRIPTIONS, ROLE_LABELS } from "@/lib/roles";

import { invitesQuery, useCreateInvite, useRevokeInvite } from "./queries";

const STATUS_BADGE: Record<Invite["status"], "success" | "secondary" | "destructive" | "outline"> = {
  pending: "success",
  accepted: "secondary",
  revoked: "destructive",
  expired: "outline",
};

export function InvitesPage() {
  const org = useCurrentOrg();
  return (
    <NeedsRole org={org} needs="admin">
      <Invites org={org} />
    </NeedsRole>
  );
}

function Invites({ org }: { org: Org }) {
  const invites = useQuery(invitesQuery(org.slug));
  const revoke = useRevokeInvite(org.slug);
  // The link exists only in this answer: the server keeps a hash. Held here, not in the
  // query cache, so it is gone once the user leaves the page.
  const [created, setCreated] = useState<InviteCreated | null>(null);

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem] lg:items-start">
      <section aria-labelledby="invites-title" className="flex flex-col gap-4">
        <div className="flex flex-col gap-1">
          <h2 id="invites-title" className="text-xl font-semibold text-slate-900">
            Invites
          </h2>
          <p className="text-sm text-slate-600">Invite links let people join {org.name} with the role you choose.</p>
        </div>
        {created && <CreatedInvite invite={created} onDone={() => setCreated(null)} />}
        {revoke.isError && <ErrorMessage error={revoke.error} />}
        {invites.isPending && (
          <p role="status" className="text-sm text-slate-600">
            Loading invites…
          </p>
        )}
        {invites.isError && <ErrorMessage error={invites.error} />}
        {invites.data && invites.data.length === 0 && (
          <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
            No invites yet.
          </p>
        )}
        {invites.data && invites.data.length > 0 && (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table className="table-stack w-full text-left text-sm">
              <caption className="sr-only">Invites to {org.name}</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-4 py-2.5 font-medium">
                    For
                  </th>
                  <th scope="col" className="px-4 py-2.5 font-medium">
                    Role
                  </th>
                  <th scope="col" className="px-4 py-2.5 font-medium">
                    Status
                  </th>
                  <th scope="col" className="hidden px-4 py-2.5 font-medium md:table-cell">
                    Expires
                  </th>
                  <th scope="col" className="px-4 py-2.5 text-right font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {invites.data.map((invite) => (
                  <tr key={invite.id} data-testid="invite-row">
                    <td className="px-4 py-3">
                      <div className="flex flex-col">
                        <span className="font-medium text-slate-900">{invite.email ?? "Anyone with the link"}</span>
                        <span className="text-xs text-slate-600">
                          {invite.invited_by ? `by ${invite.invited_by}, ` : ""}
                          {formatDate(invite.created_at)}
                        </span>
                      </div>
                    </td>
                    <td className="px-4 py-3" data-label="Role">
                      {ROLE_LABELS[invite.role]}
                    </td>
                    <td className="px-4 py-3" data-label="Status">
                      <Badge variant={STATUS_BADGE[invite.status]}>{invite.status}</Badge>
                    </td>
                    <td className="hidden px-4 py-3 text-slate-600 md:table-cell" data-label="Expires">
                      {formatDateTime(invite.expires_at)}
                    </td>
                    <td className="px-4 py-3 text-right">
                      {invite.status === "pending" && (
                        <ConfirmButton
                          label="Revoke"
                          ariaLabel={`Revoke the invite for ${invite.email ?? "anyone with the link"}`}
                          question="Revoke this invite?"
                          confirmLabel="Revoke"
                          pending={revoke.isPending && revoke.variables === invite.id}
                          onConfirm={() => revoke.mutate(invite.id)}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CreateInviteForm org={org} onCreated={setCreated} />
    </div>
  );
}

function CreatedInvite({ invite, onDone }: { invite: InviteCreated; onDone: () => void }) {
  return (
    <ShownOnce regionLabel="New invite link" copyLabel="Invite link" value={invite.url} onDone={onDone}>
      <strong>Copy this invite link now: it is shown only once.</strong> Send it to{" "}
      {invite.email ?? "the person you are inviting"}; it makes them {invite.role === "admin" ? "an" : "a"}{" "}
      {invite.role} and expires {formatDateTime(invite.expires_at)}.
    </ShownOnce>
  );
}

function CreateInviteForm({ org, onCreated }: { org: Org; onCreated: (invite: InviteCreated) => void }) {
  const id = useId();
  const create = useCreateInvite(org.slug);
  const roles = grantableRoles(org.role);
  const [role, setRole] = useState<Role>("member");
  const [email, setEmail] = useState("");
  const [days, setDays] = useState("7");
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const expires = Number(days);
    const local =
      !Number.isInteger(expires) || expires < 1 || expires > 30 ? "An invite can last from 1 to 30 days." : null;
    setProblem(local);
    if (local) return;
    create.mutate(
      { role, email: email.trim() || null, expires_in_days: expires },
      {
        onSuccess: (invite) => {
          onCreated(invite);
          setEmail("");
        },
      },
    );
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Invite someone</CardTitle>
        <CardDescription>Creates a link to send them. You cannot invite above your own role.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Invite someone">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-role`}>Role</Label>
            <Select
              id={`${id}-role`}
              value={role}
              aria-describedby={`${id}-role-hint`}
              onChange={(event) => setRole(event.target.value as Role)}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </Select>
            <p id={`${id}-role-hint`} className="text-xs text-slate-600">
              {ROLE_DESCRIPTIONS[role]}.
            </p>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-email`}>
              Email <span className="font-normal text-slate-500">(optional)</span>
            </Label>
            <Input
              id={`${id}-email`}
              type="email"
              value={email}
              autoComplete="off"
              aria-describedby={`${id}-email-hint`}
              onChange={(event) => setEmail(event.target.value)}
            />
            <p id={`${id}-email-hint`} className="text-xs text-slate-600">
              When set, only the GitHub account with this primary email can accept.
            </p>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-days`}>Expires after (days)</Label>
            <Input
              id={`${id}-days`}
              type="number"
              inputMode="numeric"
              min={1}
              max={30}
              value={days}
              className="w-24"
              onChange={(event) => setDays(event.target.value)}
            />
          </div>
          {problem && <ErrorMessage message={problem} />}
          {!problem && create.isError && <ErrorMessage error={create.error} />}
          <div>
            <Button type="submit" variant="primary" disabled={create.isPending}>
              <Link2 aria-hidden="true" />
              {create.isPending ? "Creating…" : "Create invite link"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
