import { useQuery } from "@tanstack/react-query";
import { MailOpen } from "lucide-react";
import { useEffect } from "react";
import { Link, useNavigate, useParams } from "react-router";

import type { InvitePreview } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { useMe } from "@/features/auth/queries";
import { SignInPrompt } from "@/features/auth/RequireSignIn";
import { formatDateTime } from "@/lib/format";
import { ROLE_DESCRIPTIONS } from "@/lib/roles";

import { forgetInvite, rememberInvite } from "./pendingInvite";
import { invitePreviewQuery, useAcceptInvite } from "./queries";

/** Where an invite link (`<web app>/invites/<token>`) lands: what it offers, and Accept. */
export function InviteAcceptPage() {
  const { token = "" } = useParams();
  const me = useMe();
  const signedOut = me.isSuccess && me.data === null;

  useEffect(() => {
    if (signedOut) rememberInvite(token);
  }, [signedOut, token]);

  if (me.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600">
        Loading…
      </p>
    );
  }
  if (!me.data) {
    return (
      <div className="flex flex-col gap-6">
        <title>Invite · Infrasync</title>
        {me.isError && <ErrorMessage error={me.error} className="mx-auto max-w-md" />}
        <SignInPrompt
          title="You have been invited to an org"
          description="Sign in with GitHub to see the invite and accept it. You will come back to this page."
          returnTo={`/invites/${encodeURIComponent(token)}`}
        />
      </div>
    );
  }
  return <InvitePreviewCard token={token} />;
}

function InvitePreviewCard({ token }: { token: string }) {
  const navigate = useNavigate();
  const preview = useQuery(invitePreviewQuery(token));
  const accept = useAcceptInvite(token);

  // Signed in and here: the home page need not lead back to this invite any more.
  useEffect(forgetInvite, []);

  return (
    <div className="mx-auto w-full max-w-md">
      <title>Invite · Infrasync</title>
      <Card>
        <CardHeader>
          <h1 className="flex items-center gap-2 text-xl font-semibold tracking-tight text-slate-900">
            <MailOpen aria-hidden="true" className="size-5 text-indigo-600" />
            {preview.data ? `Join ${preview.data.org_name}` : "Invite"}
          </h1>
          {preview.data && <CardDescription>{describeInvite(preview.data)}</CardDescription>}
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          {preview.isPending && (
            <p role="status" className="text-sm text-slate-600">
              Loading the invite…
            </p>
          )}
          {preview.isError && <ErrorMessage error={preview.error} />}
          {preview.data && preview.data.status !== "pending" && (
            <ErrorMessage message={`This invite is ${preview.data.status}. Ask for a new one.`} />
          )}
          {preview.data?.status === "pending" && (
            <>
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
                <dt className="text-slate-500">Org</dt>
                <dd className="font-medium text-slate-900">
                  {preview.data.org_name} <span className="font-normal text-slate-500">({preview.data.org_slug})</span>
                </dd>
                <dt className="text-slate-500">Role</dt>
                <dd className="text-slate-900">
                  <span className="font-medium">{preview.data.role}</span> — {ROLE_DESCRIPTIONS[preview.data.role]}
                </dd>
                <dt className="text-slate-500">Expires</dt>
                <dd className="text-slate-900">{formatDateTime(preview.data.expires_at)}</dd>
              </dl>
              {preview.data.email_bound && (
                <p className="text-sm text-slate-600">
                  This invite is for one email address: only the GitHub account whose primary email it is can accept.
                </p>
              )}
              {accept.isError && <ErrorMessage error={accept.error} />}
              <div className="flex gap-3">
                <Button
                  variant="primary"
                  disabled={accept.isPending}
                  onClick={() =>
                    accept.mutate(undefined, {
                      onSuccess: (org) => void navigate(`/orgs/${encodeURIComponent(org.slug)}`),
                    })
                  }
                >
                  {accept.isPending ? "Joining…" : `Accept and join ${preview.data.org_name}`}
                </Button>
              </div>
            </>
          )}
          <p className="text-sm">
            <Link to="/" className="font-medium text-indigo-700 underline-offset-4 hover:underline">
              Go to your orgs
            </Link>
          </p>
        </CardContent>
      </Card>
    </div>
  );
}

function describeInvite(invite: InvitePreview): string {
  const who = invite.invited_by ? `${invite.invited_by} invited you` : "You are invited";
  return `${who} to join ${invite.org_name} as ${invite.role === "admin" ? "an" : "a"} ${invite.role}.`;
}
