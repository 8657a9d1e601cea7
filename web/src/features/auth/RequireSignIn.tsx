import { useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useLocation } from "react-router";

import { sessionEndedQueryKey } from "@/app/queryClient";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";

import { useMe } from "./queries";
import { SignInButton } from "./SignInButton";

/** A sign-in card that brings the user back to `returnTo` afterwards. */
export function SignInPrompt({
  title,
  description,
  returnTo,
}: {
  title: string;
  description: string;
  returnTo: string;
}) {
  return (
    <div className="mx-auto w-full max-w-md">
      <Card>
        <CardHeader>
          <h1 className="text-xl font-semibold tracking-tight text-slate-900">{title}</h1>
          <CardDescription>{description}</CardDescription>
        </CardHeader>
        <CardContent>
          <SignInButton returnTo={returnTo} />
        </CardContent>
      </Card>
    </div>
  );
}

/** Renders `children` for a signed-in user; otherwise asks them to sign in and come back here. */
export function RequireSignIn({
  children,
  description = "This page belongs to an org. Sign in with GitHub to see it.",
}: {
  children: ReactNode;
  /** Why this page needs a sign-in, under "Sign in to continue". */
  description?: string;
}) {
  const me = useMe();
  const location = useLocation();
  // Read on each render: it is set in the same update that signs the user out.
  const sessionEnded = useQueryClient().getQueryData<boolean>(sessionEndedQueryKey) === true;
  if (me.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600">
        Loading…
      </p>
    );
  }
  if (me.data) return children;
  return (
    <div className="flex flex-col gap-6">
      {me.isError && <ErrorMessage error={me.error} className="mx-auto max-w-md" />}
      {sessionEnded && (
        <p role="status" data-testid="session-ended" className="mx-auto w-full max-w-md text-sm text-slate-700">
          Your session has ended. Sign in again to come back to this page.
        </p>
      )}
      <SignInPrompt
        title="Sign in to continue"
        description={description}
        returnTo={`${location.pathname}${location.search}`}
      />
    </div>
  );
}
