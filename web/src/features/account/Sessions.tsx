import { useQuery } from "@tanstack/react-query";
import { useId } from "react";

import type { components } from "@/api/schema";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { formatDateTime } from "@/lib/format";

import { mySessionsQuery, useRevokeOtherSessions, useRevokeSession } from "./queries";

type Session = components["schemas"]["SessionOut"];

function signedOutSentence(count: number): string {
  if (count === 0) return "There was no other session to sign out.";
  return `Signed out ${count} other ${count === 1 ? "session" : "sessions"}.`;
}

/** Where I am signed in, with a way to end any session but this one (or all of them at once). */
export function Sessions() {
  const id = useId();
  const sessions = useQuery(mySessionsQuery);
  const revoke = useRevokeSession();
  const revokeOthers = useRevokeOtherSessions();
  const others = sessions.data?.filter((session) => !session.current) ?? [];
  const done = revokeOthers.isSuccess
    ? signedOutSentence(revokeOthers.data.revoked)
    : revoke.isSuccess
      ? "Signed out that session: it can do nothing more."
      : "";

  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Sessions</CardTitle>
        <CardDescription>
          Where you are signed in. Sign out a browser you no longer use, or one you do not recognise: it loses access at
          once.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        {sessions.isPending && (
          <p role="status" className="text-sm text-slate-600">
            Loading your sessions…
          </p>
        )}
        {sessions.isError && <ErrorMessage error={sessions.error} />}
        {sessions.data && (
          <ul aria-label="Your sessions" className="flex flex-col divide-y divide-slate-100">
            {sessions.data.map((session) => (
              <SessionItem
                key={session.id}
                session={session}
                pending={revoke.isPending && revoke.variables === session.id}
                onRevoke={() => {
                  revokeOthers.reset();
                  revoke.mutate(session.id);
                }}
              />
            ))}
          </ul>
        )}
        {(revoke.error ?? revokeOthers.error) && <ErrorMessage error={revoke.error ?? revokeOthers.error} />}
        <p role="status" className="text-sm text-emerald-700 empty:hidden">
          {done}
        </p>
        {others.length > 0 && (
          <div className="flex justify-start">
            <ConfirmButton
              label="Sign out everywhere else"
              question={`Sign out ${others.length} other ${others.length === 1 ? "session" : "sessions"}?`}
              confirmLabel="Sign them out"
              pending={revokeOthers.isPending}
              onConfirm={() => {
                revoke.reset();
                revokeOthers.mutate();
              }}
            />
          </div>
        )}
      </CardContent>
    </Card>
  );
}

function SessionItem({ session, pending, onRevoke }: { session: Session; pending: boolean; onRevoke: () => void }) {
  return (
    <li data-testid="session-row" className="flex flex-wrap items-center justify-between gap-3 py-3 first:pt-0">
      <div className="flex min-w-0 flex-col gap-0.5">
        <span className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
          {session.device}
          {session.current && <Badge variant="secondary">This browser</Badge>}
        </span>
        <span className="text-xs break-words text-slate-600">
          Signed in {formatDateTime(session.created_at)} · last used {formatDateTime(session.last_seen_at)}
          {session.ip ? ` · from ${session.ip}` : ""}
        </span>
      </div>
      {!session.current && (
        <ConfirmButton
          label="Sign out"
          ariaLabel={`Sign out ${session.device}`}
          question={`Sign out ${session.device}?`}
          confirmLabel="Sign out"
          pending={pending}
          onConfirm={onRevoke}
        />
      )}
    </li>
  );
}
