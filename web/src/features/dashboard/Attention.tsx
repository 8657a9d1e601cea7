import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import type { Org } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { formatDate, formatDateTime } from "@/lib/format";
import { atLeast } from "@/lib/roles";

import { type Summary, summaryQuery } from "./queries";

const SHOWN_STALE = 5;
const LINK = "font-medium text-indigo-700 underline-offset-4 hover:underline wrap-anywhere";

/** Stale pull requests, failing monitors and disabled channels: what someone should act on now. */
export function Attention({ org }: { org: Org }) {
  const summary = useQuery(summaryQuery(org.slug));
  const base = `/orgs/${org.slug}`;
  return (
    <section
      aria-labelledby="attention-title"
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <h3 id="attention-title" className="text-lg font-semibold text-slate-900">
        Needs attention
      </h3>
      {summary.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading…
        </p>
      )}
      {summary.isError && <ErrorMessage error={summary.error} />}
      {summary.data && (
        <AttentionLists
          data={summary.data}
          base={base}
          channelsHref={atLeast(org.role, "admin") ? `${base}/channels` : null}
        />
      )}
    </section>
  );
}

function AttentionLists({ data, base, channelsHref }: { data: Summary; base: string; channelsHref: string | null }) {
  const { stale_pull_requests: stale, stale_total: staleTotal, failing_monitors: failing } = data;
  const disabled = data.disabled_channels;
  if (staleTotal === 0 && failing.length === 0 && disabled.length === 0) {
    return (
      <p className="text-sm text-slate-600" data-testid="attention-empty">
        Nothing needs attention: no pull request waits for a first review past its monitor&apos;s threshold, every
        monitor&apos;s last run worked and every channel delivers.
      </p>
    );
  }
  return (
    <div className="flex min-w-0 flex-col gap-4">
      {failing.length > 0 && (
        <div className="flex min-w-0 flex-col gap-1">
          <h4 className="text-sm font-semibold text-slate-900">Failing monitors</h4>
          <ul aria-label="Failing monitors" className="flex flex-col gap-2">
            {failing.map((monitor) => (
              <li key={monitor.id} className="min-w-0 text-sm">
                <Link to={`${base}/monitors`} className={LINK}>
                  {monitor.name}
                </Link>
                <p className="text-slate-600 wrap-anywhere">
                  {monitor.last_run_error ?? "Its last run failed."}
                  {monitor.last_run_at ? ` (${formatDateTime(monitor.last_run_at)})` : ""}
                </p>
              </li>
            ))}
          </ul>
        </div>
      )}
      {disabled.length > 0 && (
        <div className="flex min-w-0 flex-col gap-1">
          <h4 className="text-sm font-semibold text-slate-900">Disabled channels</h4>
          <ul aria-label="Disabled channels" className="flex flex-col gap-2">
            {disabled.map((channel) => (
              <li key={channel.id} className="min-w-0 text-sm">
                {channelsHref ? (
                  <Link to={channelsHref} className={LINK}>
                    {channel.name}
                  </Link>
                ) : (
                  <span className="font-medium text-slate-900 wrap-anywhere">{channel.name}</span>
                )}
                <p className="text-slate-600 wrap-anywhere">
                  Stopped {formatDateTime(channel.disabled_at)}: {channel.disabled_reason ?? "a permanent error"}.
                  {channelsHref ? " An admin re-enables it on Channels." : " Ask an admin to re-enable it."}
                </p>
              </li>
            ))}
          </ul>
        </div>
      )}
      {staleTotal > 0 && (
        <div className="flex min-w-0 flex-col gap-1">
          <h4 className="text-sm font-semibold text-slate-900">Stale pull requests ({staleTotal})</h4>
          <ul aria-label="Stale pull requests" className="flex flex-col gap-2">
            {stale.slice(0, SHOWN_STALE).map((pull) => (
              <li key={`${pull.url}`} className="min-w-0 text-sm">
                <a href={pull.url} className={LINK} target="_blank" rel="noreferrer">
                  {pull.repository ? `${pull.repository}#${pull.number}` : `#${pull.number}`} {pull.title}
                </a>
                <p className="text-slate-600 wrap-anywhere">
                  Open since {formatDate(pull.created_at)}
                  {pull.author ? ` by ${pull.author}` : ""}, waiting for a first review · {pull.monitor_name}
                </p>
              </li>
            ))}
          </ul>
          {staleTotal > SHOWN_STALE && (
            <p className="text-sm text-slate-600">
              And {staleTotal - SHOWN_STALE} more in the{" "}
              <Link to={`${base}/digests`} className={LINK}>
                newest digests
              </Link>
              .
            </p>
          )}
        </div>
      )}
    </div>
  );
}
