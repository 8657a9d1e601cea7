import { LogIn, LogOut, UserCog } from "lucide-react";
import { Link, useLocation } from "react-router";

import { Button } from "@/components/ui/button";

import { signInHref, useMe, useSignOut } from "./queries";
import { UserAvatar } from "./UserAvatar";

/** The header's right side: who is signed in and Sign out, or Sign in. */
export function AccountMenu() {
  const me = useMe();
  const signOut = useSignOut();
  const location = useLocation();

  if (me.isPending) {
    return <span className="sr-only">Checking who is signed in…</span>;
  }
  if (!me.data) {
    // The sign-in page has its own button; elsewhere come back to where the user was.
    if (location.pathname === "/signin") return null;
    const here = `${location.pathname}${location.search}`;
    return (
      <Button asChild variant="outline" size="sm">
        <a href={signInHref(here)}>
          <LogIn aria-hidden="true" />
          Sign in
        </a>
      </Button>
    );
  }
  const user = me.data;
  return (
    <div className="flex min-w-0 items-center gap-1 sm:gap-3">
      {signOut.isError && (
        <span role="alert" className="hidden max-w-xs truncate text-xs text-red-700 sm:inline">
          Could not sign out: {signOut.error.message}
        </span>
      )}
      <span className="flex min-w-0 items-center gap-2 text-sm font-medium text-slate-800">
        <UserAvatar login={user.login} avatarUrl={user.avatar_url} />
        {/* A long login gives way (an ellipsis) rather than pushing Sign out off a phone's screen. */}
        <span data-testid="signed-in-user" className="max-w-24 truncate sm:max-w-48">
          <span className="sr-only">Signed in as </span>
          {user.login}
        </span>
      </span>
      <Button asChild variant="ghost" size="sm">
        <Link to="/settings">
          <UserCog aria-hidden="true" />
          {/* On a phone the icon alone shows; the name is still the button's. */}
          <span className="sr-only sm:not-sr-only">Account</span>
        </Link>
      </Button>
      <Button variant="ghost" size="sm" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        <LogOut aria-hidden="true" />
        <span className="sr-only sm:not-sr-only">Sign out</span>
      </Button>
    </div>
  );
}
