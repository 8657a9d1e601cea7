import { useInfiniteQuery } from "@tanstack/react-query";
import { useId } from "react";

import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { describeAction, describeTarget } from "@/features/audit/describe";
import { formatDateTime } from "@/lib/format";

import { myActivityQuery } from "./queries";

/** My own audit trail: sign-ins, sign-outs and what I did in my orgs, newest first. */
export function MyActivity() {
  const id = useId();
  const log = useInfiniteQuery(myActivityQuery);
  const events = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Your activity</CardTitle>
        <CardDescription>Your sign-ins and sign-outs and what you changed in your orgs, newest first.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        {log.isPending && (
          <p role="status" className="text-sm text-slate-600">
            Loading your activity…
          </p>
        )}
        {log.isError && <ErrorMessage error={log.error} />}
        {log.data && events.length === 0 && <p className="text-sm text-slate-600">Nothing recorded yet.</p>}
        {events.length > 0 && (
          <ul aria-label="Your activity" className="flex flex-col divide-y divide-slate-100 text-sm">
            {events.map((event) => {
              const target = describeTarget(event.target);
              return (
                <li key={event.id} data-testid="activity-row" className="flex flex-col gap-0.5 py-2 first:pt-0">
                  <span className="break-words text-slate-900">
                    {describeAction(event.action)}
                    {target ? <span className="text-slate-600"> · {target}</span> : null}
                  </span>
                  <span className="text-xs break-words text-slate-600">
                    {formatDateTime(event.created_at)}
                    {event.ip ? ` · from ${event.ip}` : ""}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
        {log.hasNextPage && (
          <div>
            <Button
              variant="outline"
              size="sm"
              disabled={log.isFetchingNextPage}
              onClick={() => void log.fetchNextPage()}
            >
              {log.isFetchingNextPage ? "Loading…" : "Show older"}
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
