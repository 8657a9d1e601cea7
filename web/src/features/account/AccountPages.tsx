import { RotateCcw, UserX } from "lucide-react";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router";

import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { useMe, useSignOut } from "@/features/auth/queries";
import { SignInButton } from "@/features/auth/SignInButton";
import { formatDate, formatDateTime } from "@/lib/format";

import { RESTORE_PATH } from "./DeletedAccountGate";
import { useRestoreMe } from "./queries";

function Panel({
  title,
  icon,
  description,
  children,
}: {
  title: string;
  icon: ReactNode;
  description: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="mx-auto w-full max-w-lg">
      <Card>
        <CardHeader>
          <h1 className="flex items-center gap-2 text-xl font-semibold tracking-tight text-slate-900">
            {icon}
            {title}
          </h1>
          <CardDescription>{description}</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col items-start gap-3">{children}</CardContent>
      </Card>
    </div>
  );
}

/** `/account/restore`, where the server sends a deleted account that signed in again: it asks first. */
export function RestoreAccountPage() {
  const me = useMe();
  const navigate = useNavigate();
  const restore = useRestoreMe();
  const signOut = useSignOut();

  if (me.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600">
        Loading…
      </p>
    );
  }
  if (!me.data) {
    return (
      <Panel
        title="Restore your account"
        icon={<RotateCcw aria-hidden="true" className="size-5 text-slate-500" />}
        description="Sign in with GitHub again to restore the account you deleted."
      >
        <SignInButton returnTo={RESTORE_PATH} size="default" />
      </Panel>
    );
  }
  const { deleted_at: deletedAt, restorable_until: until } = me.data;
  if (!deletedAt) {
    return (
      <Panel
        title="Your account is active"
        icon={<RotateCcw aria-hidden="true" className="size-5 text-slate-500" />}
        description="There is nothing to restore."
      >
        <Button asChild variant="outline">
          <Link to="/">Go to your orgs</Link>
        </Button>
      </Panel>
    );
  }
  return (
    <Panel
      title="Restore your account?"
      icon={<RotateCcw aria-hidden="true" className="size-5 text-slate-500" />}
      description={
        <span data-testid="restore-question">
          You deleted the account {me.data.login} on {formatDateTime(deletedAt)}.
          {until ? ` You can restore it until ${formatDate(until)}; after that it is deleted for good.` : ""} Restoring
          brings back your memberships and the orgs deleted with it; their monitors stay paused until someone resumes
          them, and you connect GitHub again to read repositories.
        </span>
      }
    >
      {restore.isError && <ErrorMessage error={restore.error} />}
      <div className="flex flex-wrap gap-3">
        <Button
          variant="primary"
          disabled={restore.isPending}
          onClick={() => restore.mutate(undefined, { onSuccess: () => void navigate("/", { replace: true }) })}
        >
          <RotateCcw aria-hidden="true" />
          {restore.isPending ? "Restoring…" : "Restore my account"}
        </Button>
        <Button variant="ghost" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
          Keep it deleted and sign out
        </Button>
      </div>
    </Panel>
  );
}

/** Where deleting my account ends: signed out, and how to change one's mind. */
export function AccountDeletedPage() {
  return (
    <Panel
      title="Your account is deleted"
      icon={<UserX aria-hidden="true" className="size-5 text-slate-500" />}
      description="You are signed out everywhere. Changed your mind? Sign in with GitHub again within the retention period and confirm: the account comes back with its orgs. After the period it is deleted for good."
    >
      <Button asChild variant="outline">
        <Link to="/">Home</Link>
      </Button>
    </Panel>
  );
}
