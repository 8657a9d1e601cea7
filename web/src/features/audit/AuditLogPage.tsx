import { useInfiniteQuery } from "@tanstack/react-query";
import { useId, useState } from "react";

import type { Org } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NeedsRole, useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDateTime } from "@/lib/format";

import { AUDIT_ACTIONS, describeAction, describeDetails, describeTarget } from "./describe";
import { auditQuery } from "./queries";

export function AuditLogPage() {
  const org = useCurrentOrg();
  return (
    <NeedsRole org={org} needs="admin">
      <AuditLog org={org} />
    </NeedsRole>
  );
}

function AuditLog({ org }: { org: Org }) {
  const id = useId();
  const [action, setAction] = useState("");
  const log = useInfiniteQuery(auditQuery(org.slug, action));
  const events = log.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section aria-labelledby="audit-title" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="flex flex-col gap-1">
          <h2 id="audit-title" className="text-xl font-semibold text-slate-900">
            Audit log
          </h2>
          <p className="text-sm text-slate-600">Who changed what in {org.name}, newest first.</p>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-action`}>Action</Label>
          <Select
            id={`${id}-action`}
            value={action}
            className="w-56"
            onChange={(event) => setAction(event.target.value)}
          >
            <option value="">All actions</option>
            {Object.entries(AUDIT_ACTIONS).map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </Select>
        </div>
      </div>
      {log.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading the audit log…
        </p>
      )}
      {log.isError && !log.isFetchNextPageError && <ErrorMessage error={log.error} />}
      {log.isSuccess && events.length === 0 && (
        <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
          {action ? "Nothing recorded for this action." : "Nothing recorded yet."}
        </p>
      )}
      {events.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="table-stack w-full text-left text-sm">
            <caption className="sr-only">Audit log of {org.name}</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  When
                </th>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  Who
                </th>
                <th scope="col" className="px-4 py-2.5 font-medium">
                  What
                </th>
                <th scope="col" className="hidden px-4 py-2.5 font-medium md:table-cell">
                  From
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {events.map((event) => (
                <tr key={event.id} data-testid="audit-row" className="align-top">
                  <td className="whitespace-nowrap px-4 py-3 text-slate-600">
                    <time dateTime={event.created_at}>{formatDateTime(event.created_at)}</time>
                  </td>
                  <td className="px-4 py-3" data-label="Who">
                    <span className="font-medium text-slate-900">{event.actor.label}</span>
                    {event.actor.type !== "user" && (
                      <span className="block text-xs text-slate-500">
                        {event.actor.type === "api_key" ? "API key" : "Infrasync"}
                      </span>
                    )}
                  </td>
                  <td className="px-4 py-3" data-label="What">
                    <div className="flex flex-col gap-0.5">
                      <span className="text-slate-900">
                        {describeAction(event.action)}
                        {describeTarget(event.target) && (
                          <span className="text-slate-700">: {describeTarget(event.target)}</span>
                        )}
                      </span>
                      <code className="text-xs text-slate-500">{event.action}</code>
                      {describeDetails(event.details).map((line) => (
                        <span key={line} className="text-xs text-slate-600">
                          {line}
                        </span>
                      ))}
                    </div>
                  </td>
                  <td className="hidden px-4 py-3 text-xs text-slate-600 md:table-cell">
                    <span className="block">{event.ip ?? "—"}</span>
                    {event.user_agent && (
                      <span className="block max-w-56 truncate" title={event.user_agent}>
                        {event.user_agent}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.isFetchNextPageError && <ErrorMessage error={log.error} />}
      {log.hasNextPage && (
        <div>
          <Button variant="outline" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
            {log.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </section>
  );
}
