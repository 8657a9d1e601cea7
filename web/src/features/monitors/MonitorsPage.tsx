import { useQuery, useQueryClient } from "@tanstack/react-query";
import { CalendarClock, FolderGit2, GitBranch, Pause, Pencil, Play, Zap } from "lucide-react";
import { useEffect, useState } from "react";
import { Link } from "react-router";

import type { Monitor, Org, Run } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { describeDelivery, kindLabel, TONE_CLASSES } from "@/features/channels/describe";
import { periodLabel } from "@/features/digests/period";
import { FeedPanel } from "@/features/feeds/FeedPanel";
import { useCurrentOrg } from "@/features/orgs/OrgLayout";
import { orgKeys } from "@/features/orgs/queries";
import { formatDateTime } from "@/lib/format";
import { atLeast } from "@/lib/roles";
import { cn } from "@/lib/utils";

import { ConnectGitHub } from "./ConnectGitHub";
import { followedSummary, settingsSummary } from "./draft";
import { CreateMonitorForm, EditMonitorForm } from "./MonitorForm";
import { MyTokenOffer } from "./MyTokenOffer";
import { monitorsQuery, runFinished, runQuery, useDeleteMonitor, useRunDigest, useUpdateMonitor } from "./queries";

export function MonitorsPage() {
  const org = useCurrentOrg();
  const canWrite = atLeast(org.role, "member");
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-3 empty:hidden">
        <ConnectGitHub />
        <MyTokenOffer org={org} />
      </div>
      <div className={canWrite ? "grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem] lg:items-start" : "flex flex-col"}>
        <MonitorList org={org} canWrite={canWrite} />
        {canWrite && <CreateMonitorForm org={org} />}
      </div>
    </div>
  );
}

function MonitorList({ org, canWrite }: { org: Org; canWrite: boolean }) {
  const monitors = useQuery(monitorsQuery(org.slug));
  const update = useUpdateMonitor(org.slug);
  const remove = useDeleteMonitor(org.slug);
  const run = useRunDigest(org.slug);
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // The run each monitor's Run now queued here, by monitor id: its progress stays in view.
  const [runs, setRuns] = useState<Record<string, string>>({});

  const runNow = (monitor: Monitor) =>
    run.mutate({ id: monitor.id }, { onSuccess: (queued) => setRuns((all) => ({ ...all, [monitor.id]: queued.id })) });
  // A run started elsewhere (the schedule, another tab) shows its progress too.
  const followedRun = (monitor: Monitor) =>
    runs[monitor.id] ?? (monitor.last_run && !runFinished(monitor.last_run) ? monitor.last_run.id : null);

  return (
    <section aria-labelledby="monitors-title" className="flex flex-col gap-4">
      <div className="flex flex-col gap-1">
        <h2 id="monitors-title" className="text-xl font-semibold text-slate-900">
          Monitors
        </h2>
        <p className="text-sm text-slate-600">
          Each monitor reads one repository&apos;s activity and writes its digests.
        </p>
      </div>
      {saved && (
        <p role="status" className="text-sm text-emerald-800">
          {saved}
        </p>
      )}
      {update.isError && <ErrorMessage error={update.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {monitors.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading monitors…
        </p>
      )}
      {monitors.isError && <ErrorMessage error={monitors.error} />}
      {monitors.data && monitors.data.length === 0 && (
        <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
          No monitors yet.{canWrite ? " Add one to get a digest of a repository." : ""}
        </p>
      )}
      {monitors.data && monitors.data.length > 0 && (
        <ul aria-label={`Monitors of ${org.name}`} className="flex flex-col gap-3">
          {monitors.data.map((monitor) => (
            <li
              key={monitor.id}
              data-testid="monitor-row"
              aria-label={monitor.name}
              className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
            >
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="flex min-w-0 flex-col gap-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium text-slate-900" data-testid="monitor-name">
                      {monitor.name}
                    </span>
                    <Badge variant="outline" data-testid="monitor-kind">
                      {monitor.source_kind === "github" ? (
                        <GitBranch aria-hidden="true" />
                      ) : (
                        <FolderGit2 aria-hidden="true" />
                      )}
                      {monitor.source_kind === "github" ? "GitHub" : "Local git"}
                    </Badge>
                    <RunStatus monitor={monitor} />
                    {monitor.paused && <Badge variant="secondary">Paused</Badge>}
                  </div>
                  <code className="break-all text-xs text-slate-600" data-testid="monitor-source">
                    {monitor.source}
                  </code>
                  {(monitor.github_owner || monitor.repositories.length > 1) && (
                    <p className="text-xs text-slate-600" data-testid="monitor-repositories">
                      {followedSummary(monitor)}
                    </p>
                  )}
                  <p className="text-xs text-slate-600" data-testid="monitor-credential">
                    {describeCredential(monitor)}
                  </p>
                  <p className="text-xs text-slate-600" data-testid="monitor-settings">
                    {settingsSummary(monitor)}
                  </p>
                  <ScheduleLine monitor={monitor} />
                  {monitor.last_run_status === "error" && monitor.last_run_error && (
                    <p className="text-xs text-red-800" data-testid="monitor-last-error">
                      {monitor.last_run_error}
                    </p>
                  )}
                </div>
                {canWrite && (
                  <div className="flex flex-wrap items-center justify-end gap-2">
                    <RunNowButton
                      org={org}
                      monitor={monitor}
                      runId={followedRun(monitor)}
                      queuing={run.isPending && run.variables?.id === monitor.id}
                      disabled={run.isPending}
                      onClick={() => runNow(monitor)}
                    />
                    <Button
                      type="button"
                      variant="outline"
                      size="sm"
                      aria-label={`${monitor.paused ? "Resume" : "Pause"} ${monitor.name}`}
                      disabled={update.isPending && update.variables?.id === monitor.id}
                      onClick={() => update.mutate({ id: monitor.id, body: { paused: !monitor.paused } })}
                    >
                      {monitor.paused ? <Play aria-hidden="true" /> : <Pause aria-hidden="true" />}
                      {monitor.paused ? "Resume" : "Pause"}
                    </Button>
                    <Button
                      type="button"
                      variant="outline"
                      size="sm"
                      aria-label={`Edit ${monitor.name}`}
                      aria-expanded={editing === monitor.id}
                      onClick={() => {
                        setSaved(null);
                        setEditing(editing === monitor.id ? null : monitor.id);
                      }}
                    >
                      <Pencil aria-hidden="true" />
                      Edit
                    </Button>
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete ${monitor.name}`}
                      question={`Delete ${monitor.name}? Its digests go with it.`}
                      confirmLabel="Delete"
                      pending={remove.isPending && remove.variables === monitor.id}
                      onConfirm={() => remove.mutate(monitor.id)}
                    />
                  </div>
                )}
              </div>
              {run.isError && run.variables?.id === monitor.id && <ErrorMessage error={run.error} />}
              {!(run.isError && run.variables?.id === monitor.id) && followedRun(monitor) && (
                <RunProgress org={org} monitor={monitor} runId={followedRun(monitor) as string} />
              )}
              <LastDigestLine org={org} monitor={monitor} />
              <ChannelDeliveries org={org} monitor={monitor} canWrite={canWrite} />
              <FeedPanel org={org} monitor={monitor} />
              {canWrite && editing === monitor.id && (
                <EditMonitorForm
                  org={org}
                  monitor={monitor}
                  onDone={(done) => {
                    setEditing(null);
                    if (done) setSaved(`Saved ${done.name}.`);
                  }}
                />
              )}
              <Link
                to={`/orgs/${org.slug}/digests?monitor=${monitor.id}`}
                className="w-fit text-xs font-medium text-indigo-700 underline-offset-4 hover:underline"
              >
                Digests
                <span className="sr-only"> of {monitor.name}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RunNowButton({
  org,
  monitor,
  runId,
  queuing,
  disabled,
  onClick,
}: {
  org: Org;
  monitor: Monitor;
  runId: string | null;
  queuing: boolean;
  disabled: boolean;
  onClick: () => void;
}) {
  const run = useQuery({ ...runQuery(org.slug, monitor.id, runId ?? ""), enabled: runId !== null });
  const busy = queuing || (runId !== null && run.data !== undefined && !runFinished(run.data));
  return (
    <Button
      type="button"
      variant="primary"
      size="sm"
      aria-label={`Run ${monitor.name} now`}
      disabled={disabled || busy}
      onClick={onClick}
    >
      <Zap aria-hidden="true" />
      {/* "Run", not "Run now": what shows must be part of the name ("Run Parser now"),
          for those who say what they see to a voice control to press it. */}
      {busy ? "Running…" : "Run"}
    </Button>
  );
}

const RUN_STATES: Record<Run["state"], string> = {
  queued: "Queued…",
  running: "Running…",
  done: "Digest made.",
  failed: "The digest could not be made.",
  skipped: "Skipped.",
};

/**
 * A run on its way: queued, running (read again every second), then the digest it made, or
 * why it made none. When it ends the monitor is read again: its last digest and deliveries.
 */
function RunProgress({ org, monitor, runId }: { org: Org; monitor: Monitor; runId: string }) {
  const queryClient = useQueryClient();
  const run = useQuery(runQuery(org.slug, monitor.id, runId));
  const finished = runFinished(run.data);
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: orgKeys.monitors(org.slug) });
    void queryClient.invalidateQueries({ queryKey: orgKeys.digests(org.slug) });
    void queryClient.invalidateQueries({ queryKey: orgKeys.channels(org.slug) });
  }, [finished, queryClient, org.slug]);

  if (run.isError) return <ErrorMessage error={run.error} />;
  if (!run.data) return null;
  const { state, error, digest_id: digestId } = run.data;
  if (state === "failed") {
    return <ErrorMessage message={`The digest could not be made: ${error ?? "the run failed"}`} />;
  }
  return (
    <p role="status" className="flex flex-wrap items-center gap-2 text-sm text-slate-700" data-testid="run-progress">
      <span className={state === "done" ? "text-emerald-800" : undefined}>{RUN_STATES[state]}</span>
      {state === "skipped" && error && <span>{error}</span>}
      {state === "done" && digestId && (
        <Link
          to={`/orgs/${org.slug}/digests/${digestId}`}
          className="font-medium text-indigo-700 underline-offset-4 hover:underline"
        >
          Open the digest
        </Link>
      )}
    </p>
  );
}

/** When it runs next: "Weekly on Monday at 09:00 (Europe/Berlin) · next run Jan 13, 2025, 9:00 AM". */
function ScheduleLine({ monitor }: { monitor: Monitor }) {
  const manual = monitor.schedule.kind === "manual";
  const next = monitor.paused
    ? manual
      ? ""
      : " · paused: no scheduled runs until it is resumed"
    : monitor.next_run_at
      ? ` · next run ${formatDateTime(monitor.next_run_at)}`
      : "";
  return (
    <p className="flex items-center gap-1 text-xs text-slate-600" data-testid="monitor-schedule">
      <CalendarClock aria-hidden="true" className="size-3.5 shrink-0" />
      <span>
        {monitor.schedule.description}
        {next}
      </span>
    </p>
  );
}

function LastDigestLine({ org, monitor }: { org: Org; monitor: Monitor }) {
  const digest = monitor.last_digest;
  if (!digest) {
    return (
      <p className="text-xs text-slate-600" data-testid="monitor-last-digest">
        No digest yet.
      </p>
    );
  }
  return (
    <p className="text-xs text-slate-600" data-testid="monitor-last-digest">
      Last digest:{" "}
      <Link
        to={`/orgs/${org.slug}/digests/${digest.id}`}
        className="font-medium text-indigo-700 underline-offset-4 hover:underline"
      >
        {periodLabel(digest.period)}
      </Link>
      , made {formatDateTime(digest.created_at)}
    </p>
  );
}

/** Per channel, how the last digest's delivery went: the answer to "why didn't it arrive?". */
function ChannelDeliveries({ org, monitor, canWrite }: { org: Org; monitor: Monitor; canWrite: boolean }) {
  if (monitor.channels.length === 0) {
    return (
      <p className="text-xs text-slate-600" data-testid="monitor-no-channels">
        Sends to no channel: its digests stay in Infrasync.{canWrite ? " Choose channels with Edit." : ""}
      </p>
    );
  }
  const isAdmin = atLeast(org.role, "admin");
  return (
    <ul aria-label={`Channels of ${monitor.name}`} className="flex flex-col gap-1">
      {monitor.channels.map((channel) => {
        const outcome = describeDelivery(channel);
        return (
          <li key={channel.id} data-testid="monitor-channel" className="flex flex-wrap items-baseline gap-x-2 text-xs">
            <span className="font-medium text-slate-800">{channel.name}</span>
            <span className="text-slate-500">{kindLabel(channel.kind)}</span>
            <span className={cn("font-medium", TONE_CLASSES[outcome.tone])} data-testid="delivery-outcome">
              {outcome.text}
            </span>
            {isAdmin && (
              <Link
                to={`/orgs/${org.slug}/channels?log=${channel.id}`}
                aria-label={`Delivery log of ${channel.name}`}
                className="text-indigo-700 underline-offset-4 hover:underline"
              >
                Delivery log
              </Link>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function RunStatus({ monitor }: { monitor: Monitor }) {
  const when = monitor.last_run_at ? ` ${formatDateTime(monitor.last_run_at)}` : "";
  if (monitor.last_run_status === "ok") {
    return (
      <Badge variant="success" data-testid="monitor-status">
        Last run OK{when && ` ·${when}`}
      </Badge>
    );
  }
  if (monitor.last_run_status === "error") {
    return (
      <Badge variant="destructive" data-testid="monitor-status">
        Last run failed{when && ` ·${when}`}
      </Badge>
    );
  }
  return (
    <Badge variant="secondary" data-testid="monitor-status">
      Not run yet
    </Badge>
  );
}

/** Whose GitHub token the monitor reads with; never the token itself. */
export function describeCredential(monitor: Monitor): string {
  const credential = monitor.credential;
  if (!credential) {
    return monitor.source_kind === "git"
      ? "A local repository: no GitHub token needed."
      : "No GitHub token: it reads public data only, with a low rate limit.";
  }
  const whose = credential.login ? `${credential.login}'s` : "A former member's";
  const usable = credential.usable ? "" : " It no longer works: its owner must sign in with GitHub again.";
  // The hint is the token's last characters, with its own leading "…".
  return `Reads with ${whose} GitHub token (${credential.token_hint}).${usable}`;
}
