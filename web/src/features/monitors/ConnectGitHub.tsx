import { useQuery } from "@tanstack/react-query";
import { GitBranch, KeyRound } from "lucide-react";
import { Link, useLocation } from "react-router";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { DisconnectGitHub } from "@/features/auth/DisconnectGitHub";
import { connectGitHubHref, useMe } from "@/features/auth/queries";
import { serverInfoQuery } from "@/features/health/queries";

/**
 * Whether monitors can read GitHub with your token, and the way to make it so. Shown only
 * where it can work: a server without a GitHub app cannot connect anyone.
 */
export function ConnectGitHub() {
  const server = useQuery(serverInfoQuery);
  const me = useMe();
  const { pathname, search } = useLocation();
  if (!server.data || !me.data) return null;

  if (!server.data.github_sign_in) {
    if (!server.data.local_sources) return null;
    return (
      <p className="text-sm text-slate-600" data-testid="github-connection">
        GitHub sign-in is not set up on this server, so nobody can connect the GitHub token that GitHub repositories are
        read with. Local git repositories work: give a monitor the absolute path of one on this server.
      </p>
    );
  }

  const returnTo = `${pathname}${search}`;
  const github = me.data.github;
  if (!github?.usable) {
    // Connecting again keeps private access for those who had granted it.
    const privateAccess = github?.private_access ?? false;
    return (
      <Callout
        text={
          github
            ? "Your GitHub token no longer works, so monitors that read with it fail. Connect GitHub again to renew it."
            : "Connect your GitHub account so monitors can read repositories with your token, at GitHub's full rate limit. Infrasync never shows the token."
        }
        href={connectGitHubHref(returnTo, { privateAccess })}
        action={github ? "Connect GitHub again" : "Connect GitHub"}
        connected={Boolean(github)}
      />
    );
  }
  if (!github.private_access) {
    return (
      <Callout
        text="Your GitHub token reads public repositories. To follow private ones, grant Infrasync read access to private repositories; GitHub asks you to confirm."
        href={connectGitHubHref(returnTo, { privateAccess: true })}
        action="Grant private repository access"
        connected
      />
    );
  }
  return (
    <div className="flex flex-wrap items-center justify-between gap-3">
      <p className="text-sm text-slate-600" data-testid="github-connection">
        GitHub connected as {me.data.login} ({github.token_hint}), with private repository access.
      </p>
      <DisconnectGitHub />
    </div>
  );
}

/** `connected`: a token is stored (working or not), so it can also be disconnected. */
function Callout({
  text,
  href,
  action,
  connected,
}: {
  text: string;
  href: string;
  action: string;
  connected: boolean;
}) {
  return (
    <Alert variant="info" data-testid="github-connection" className="flex-wrap items-center justify-between">
      <GitBranch aria-hidden="true" />
      <p className="min-w-0 flex-1">{text}</p>
      <Button asChild variant="default" size="sm">
        {/* The consent page says what GitHub will be asked for; nothing starts until you continue. */}
        <Link to={href}>
          <KeyRound aria-hidden="true" />
          {action}
        </Link>
      </Button>
      {connected && <DisconnectGitHub />}
    </Alert>
  );
}
