import { useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";

import { ErrorMessage } from "@/components/ErrorMessage";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { serverInfoQuery } from "@/features/health/queries";

import { useMe } from "./queries";
import { SignInButton } from "./SignInButton";
import { describeSignInError, NEEDS_LOGIN_LINK } from "./signInErrors";

/** Where the server sends the browser when a sign-in fails (`?error=<code>`), and a way in. */
export function SignInPage() {
  const [params] = useSearchParams();
  const code = params.get("error");
  const returnTo = params.get("return_to") ?? undefined;
  const me = useMe();
  // Without GitHub sign-in, SignInButton itself says how to get a link.
  const server = useQuery(serverInfoQuery);

  return (
    <div className="mx-auto w-full max-w-md">
      <title>Sign in · Infrasync</title>
      <Card>
        <CardHeader>
          <h1 className="text-xl font-semibold tracking-tight text-slate-900">Sign in to Infrasync</h1>
          <CardDescription>
            Infrasync uses your GitHub account; it asks only to read your profile and email.
          </CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          {code !== null && <ErrorMessage message={describeSignInError(code)} />}
          {me.data && (
            <p className="text-sm text-slate-700">
              You are signed in as <strong>{me.data.login}</strong>.{" "}
              <Link to="/" className="font-medium text-indigo-700 underline-offset-4 hover:underline">
                Go to your orgs
              </Link>
            </p>
          )}
          <div>
            <SignInButton returnTo={returnTo} />
          </div>
          {code !== null && NEEDS_LOGIN_LINK.has(code) && server.data?.github_sign_in !== false && (
            <p className="text-sm text-slate-600">
              Administrators make a one-time sign-in link on the server with{" "}
              <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">infrasync admin login-link</code>; it works
              once, for 15 minutes.
            </p>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
