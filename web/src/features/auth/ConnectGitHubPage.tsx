import { KeyRound } from "lucide-react";
import { Link, useSearchParams } from "react-router";

import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";

import { safeReturnPath, useConnectGitHub, useMe } from "./queries";
import { RequireSignIn } from "./RequireSignIn";

/**
 * The consent page at `/connect/github?private=true&return_to=/path` (where "Connect
 * GitHub" leads, and where the server's GET of `/auth/github/connect` redirects). Opening it
 * changes nothing: only "Continue to GitHub" starts the connection, with a CSRF-protected
 * POST, so no other site can start one by sending a browser here.
 */
export function ConnectGitHubPage() {
  return (
    <RequireSignIn description="Connecting GitHub gives your monitors a token to read repositories with. Sign in with GitHub first.">
      <ConsentCard />
    </RequireSignIn>
  );
}

function ConsentCard() {
  const [params] = useSearchParams();
  const privateAccess = params.get("private") === "true";
  const returnTo = safeReturnPath(params.get("return_to"));
  const me = useMe();
  const connect = useConnectGitHub();
  const previous = me.data?.github;
  const title = privateAccess ? "Grant private repository access" : "Connect GitHub";
  // After success the browser is on its way to GitHub: the button stays off meanwhile.
  const leaving = connect.isPending || connect.isSuccess;

  return (
    <div className="mx-auto w-full max-w-lg">
      <title>{`${title} · Infrasync`}</title>
      <Card>
        <CardHeader>
          <h1 className="flex items-center gap-2 text-xl font-semibold tracking-tight text-slate-900">
            <KeyRound aria-hidden="true" className="size-5 text-indigo-600" />
            {title}
          </h1>
          <CardDescription>
            Infrasync sends you to GitHub, which asks you to confirm. Nothing changes until you do.
          </CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-4 text-sm text-slate-700">
          <div className="flex flex-col gap-1.5" data-testid="connect-scopes">
            <h2 className="font-medium text-slate-900">What Infrasync asks GitHub for</h2>
            <ul className="flex list-disc flex-col gap-1.5 pl-5">
              <li>
                Read access to public repositories, with your profile and email, so monitors read GitHub at your
                account&apos;s full rate limit.
              </li>
              {privateAccess && (
                <li>
                  The <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">repo</code> scope, which gives
                  Infrasync read access to your private repositories. GitHub describes this scope as full control of
                  your repositories; Infrasync only reads them. Your consent is recorded in the audit log.
                </li>
              )}
            </ul>
          </div>
          <p>
            Infrasync keeps the token encrypted and never shows it. An org&apos;s monitors read with it only once you
            offer it to that org (choosing your own token for a monitor offers it too), and you can withdraw it at any
            time.
          </p>
          {previous && (
            <p data-testid="connect-replaces">
              It replaces the GitHub token you connected before ({previous.token_hint}).
            </p>
          )}
          {connect.isError && <ErrorMessage error={connect.error} />}
          <div className="flex flex-wrap items-center gap-3">
            <Button
              type="button"
              variant="primary"
              disabled={leaving}
              onClick={() => connect.mutate({ private: privateAccess, return_to: returnTo })}
            >
              <KeyRound aria-hidden="true" />
              {leaving ? "Opening GitHub…" : "Continue to GitHub"}
            </Button>
            <Button asChild variant="ghost">
              <Link to={returnTo ?? "/"}>Cancel</Link>
            </Button>
          </div>
        </CardContent>
      </Card>
    </div>
  );
}
