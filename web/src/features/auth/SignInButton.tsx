import { useQuery } from "@tanstack/react-query";
import { LogIn } from "lucide-react";

import { Button } from "@/components/ui/button";
import { serverInfoQuery } from "@/features/health/queries";

import { signInHref } from "./queries";

/**
 * The way in: "Sign in with GitHub" where this server has GitHub sign-in set up, and
 * otherwise how an administrator signs people in (a one-time link), rather than a main
 * button that can only fail. Should the server not say, the button stays: the server then
 * explains on /signin.
 */
export function SignInButton({
  returnTo,
  size = "lg",
  testId,
}: {
  returnTo?: string;
  size?: "default" | "lg";
  testId?: string;
}) {
  const server = useQuery(serverInfoQuery);
  if (server.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600">
        Checking how to sign in…
      </p>
    );
  }
  if (server.data && !server.data.github_sign_in) {
    return (
      <p className="text-sm break-words text-slate-700" data-testid="no-github-sign-in">
        GitHub sign-in is not set up on this server. An administrator signs you in with a one-time link made on the
        server with <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">infrasync admin login-link</code> (it
        works once, for 15 minutes).
      </p>
    );
  }
  return (
    // A full page load on purpose: the backend runs the OAuth flow.
    <Button asChild variant="primary" size={size}>
      <a href={signInHref(returnTo)} data-testid={testId}>
        <LogIn aria-hidden="true" />
        Sign in with GitHub
      </a>
    </Button>
  );
}
