import { useQuery } from "@tanstack/react-query";
import { Download, Trash2 } from "lucide-react";
import { type FormEvent, useId, useState } from "react";
import { Link, useNavigate } from "react-router";

import type { Me } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useMe } from "@/features/auth/queries";
import { RequireSignIn } from "@/features/auth/RequireSignIn";
import { UserAvatar } from "@/features/auth/UserAvatar";
import { serverInfoQuery } from "@/features/health/queries";
import { ConnectGitHub } from "@/features/monitors/ConnectGitHub";
import { formatDate } from "@/lib/format";

import { MyActivity } from "./MyActivity";
import { useDeleteMe, useExportMyData } from "./queries";
import { Sessions } from "./Sessions";

/** `/settings`: the signed-in person's own account, whatever org they are in. */
export function SettingsPage() {
  return (
    <RequireSignIn description="Your account settings are your own. Sign in with GitHub to see them.">
      <Settings />
    </RequireSignIn>
  );
}

function Settings() {
  const me = useMe();
  if (!me.data) return null;
  const user = me.data;
  return (
    <div className="mx-auto flex max-w-2xl flex-col gap-6">
      <title>Your account · Infrasync</title>
      <h1 className="text-3xl font-bold tracking-tight text-slate-900">Your account</h1>
      <Profile user={user} />
      <GitHubConnection />
      <Sessions />
      <MyActivity />
      <ExportMyData user={user} />
      <DeleteMyAccount user={user} />
    </div>
  );
}

function Profile({ user }: { user: Me }) {
  const id = useId();
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Profile</CardTitle>
        <CardDescription>
          Your profile comes from GitHub when you sign in: change it there, then sign in again.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex items-start gap-4">
        <UserAvatar login={user.login} avatarUrl={user.avatar_url} className="size-12 text-base" />
        <dl className="grid flex-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
          <dt className="text-slate-600">Login</dt>
          <dd className="font-medium text-slate-900" data-testid="profile-login">
            {user.login}
          </dd>
          <dt className="text-slate-600">Name</dt>
          <dd className="text-slate-900">{user.name ?? "—"}</dd>
          <dt className="text-slate-600">Email</dt>
          <dd className="text-slate-900" data-testid="profile-email">
            {user.email ?? "None shared by GitHub"}
          </dd>
          <dt className="text-slate-600">Member since</dt>
          <dd className="text-slate-900">{formatDate(user.created_at)}</dd>
        </dl>
      </CardContent>
    </Card>
  );
}

function GitHubConnection() {
  const id = useId();
  const server = useQuery(serverInfoQuery);
  const me = useMe();
  const unavailable = server.data && !server.data.github_sign_in && !me.data?.github;
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>GitHub connection</CardTitle>
        <CardDescription>
          The token monitors read repositories with. Disconnecting forgets it here; revoke the grant on GitHub too, in
          your GitHub settings under Applications.
        </CardDescription>
      </CardHeader>
      <CardContent>
        {unavailable ? (
          <p className="text-sm text-slate-600" data-testid="github-connection">
            GitHub sign-in is not set up on this server, so there is no GitHub connection to manage.
          </p>
        ) : (
          <ConnectGitHub />
        )}
      </CardContent>
    </Card>
  );
}

function ExportMyData({ user }: { user: Me }) {
  const id = useId();
  const exported = useExportMyData(user.login);
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Export my data</CardTitle>
        <CardDescription>
          Everything Infrasync holds about you, as one JSON file: your profile, memberships, audit entries by or about
          you, the digests you asked for, your GitHub connection (never the token) and the email channels that send to
          you.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col items-start gap-3">
        <Button variant="outline" disabled={exported.isPending} onClick={() => exported.mutate()}>
          <Download aria-hidden="true" />
          {exported.isPending ? "Preparing…" : "Export my data"}
        </Button>
        <span role="status" className="text-sm text-emerald-700">
          {exported.isSuccess ? `Downloaded ${exported.data}.` : ""}
        </span>
        {exported.isError && <ErrorMessage error={exported.error} />}
      </CardContent>
    </Card>
  );
}

function DeleteMyAccount({ user }: { user: Me }) {
  const id = useId();
  const navigate = useNavigate();
  const remove = useDeleteMe();
  const [typed, setTyped] = useState("");
  const confirmed = typed.trim() === user.login;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!confirmed) return;
    remove.mutate(undefined, { onSuccess: () => void navigate("/account/deleted", { replace: true }) });
  };

  return (
    <Card role="region" aria-labelledby={`${id}-title`} className="border-red-200">
      <CardHeader>
        <CardTitle id={`${id}-title`} className="text-red-800">
          Delete my account
        </CardTitle>
        <CardDescription>
          You are signed out everywhere at once; your API keys and pending invites are revoked, your GitHub token is
          forgotten, and orgs where you are the only member are deleted with you. If you are the last owner of an org
          with other members, make one of them an owner or delete the org first. You can restore the account by signing
          in with GitHub again within the retention period; after it, it is deleted for good (see the{" "}
          <Link to="/legal/privacy" className="underline underline-offset-2">
            Privacy Policy
          </Link>
          ).
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Delete my account">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor={`${id}-confirm`}>
              Type your login <span className="font-mono">{user.login}</span> to confirm
            </Label>
            <Input
              id={`${id}-confirm`}
              value={typed}
              autoComplete="off"
              spellCheck={false}
              className="max-w-xs"
              onChange={(e) => setTyped(e.target.value)}
            />
          </div>
          {remove.isError && <ErrorMessage error={remove.error} />}
          <div>
            <Button type="submit" variant="destructive" disabled={!confirmed || remove.isPending}>
              <Trash2 aria-hidden="true" />
              {remove.isPending ? "Deleting…" : "Delete my account"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
