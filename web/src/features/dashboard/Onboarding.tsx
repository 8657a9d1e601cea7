import { useQuery } from "@tanstack/react-query";
import { Circle, CircleCheck } from "lucide-react";
import { Link } from "react-router";

import type { Org } from "@/api/client";
import { channelsQuery } from "@/features/channels/queries";
import { invitesQuery } from "@/features/invites/queries";
import { membersQuery } from "@/features/members/queries";
import { monitorsQuery } from "@/features/monitors/queries";
import { atLeast } from "@/lib/roles";
import { cn } from "@/lib/utils";

import { recentDigestsQuery } from "./queries";

export interface Step {
  key: string;
  title: string;
  hint: string;
  to: string;
  action: string;
  done: boolean;
}

/**
 * The four steps to a working org, each ticked from what the server holds now: a monitor,
 * a digest, a channel, a second person (a member, or an invite on its way). Null while
 * any of them is still being read, so no step shows as "to do" only to tick a moment later.
 */
export function useOnboardingSteps(org: Org): Step[] | null {
  // Channels and invites are an admin's to read: the checklist is an admin's.
  const admin = atLeast(org.role, "admin");
  const monitors = useQuery({ ...monitorsQuery(org.slug), enabled: admin });
  const digests = useQuery({ ...recentDigestsQuery(org.slug), enabled: admin });
  const channels = useQuery({ ...channelsQuery(org.slug), enabled: admin });
  const members = useQuery({ ...membersQuery(org.slug), enabled: admin });
  const invites = useQuery({ ...invitesQuery(org.slug), enabled: admin });
  if (!admin) return null;
  if (!monitors.data || !digests.data || !channels.data || !members.data || !invites.data) return null;
  const base = `/orgs/${org.slug}`;
  return [
    {
      key: "monitor",
      title: "Add a monitor",
      hint: "A GitHub repository (or an owner's) that Infrasync follows.",
      to: `${base}/monitors`,
      action: "Add a monitor",
      done: monitors.data.length > 0,
    },
    {
      key: "digest",
      title: "Run a digest",
      hint: "Run now on a monitor: its digest of what shipped, what waits and what is new.",
      to: `${base}/monitors`,
      action: "Run a monitor",
      done: digests.data.items.length > 0,
    },
    {
      key: "channel",
      title: "Add a channel",
      hint: "Slack, Discord, email or a webhook: where digests are delivered.",
      to: `${base}/channels`,
      action: "Add a channel",
      done: channels.data.length > 0,
    },
    {
      key: "teammate",
      title: "Invite a teammate",
      hint: "Someone to read the digests with you.",
      to: `${base}/invites`,
      action: "Invite a teammate",
      done: members.data.length > 1 || invites.data.some((invite) => invite.status === "pending"),
    },
  ];
}

/** The checklist a new org opens with; gone once every step is done. */
export function Onboarding({ org }: { org: Org }) {
  const steps = useOnboardingSteps(org);
  if (!steps || steps.every((step) => step.done)) return null;
  const done = steps.filter((step) => step.done).length;
  return (
    <section
      aria-labelledby="onboarding-title"
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-indigo-200 bg-indigo-50/60 p-4"
    >
      <div className="flex flex-col gap-1">
        <h3 id="onboarding-title" className="text-lg font-semibold text-slate-900">
          Get started
        </h3>
        <p className="text-sm text-slate-700" data-testid="onboarding-progress">
          {done} of {steps.length} steps done.
        </p>
      </div>
      <ol aria-label="Steps to get started" className="flex flex-col gap-2">
        {steps.map((step, index) => (
          <li
            key={step.key}
            data-testid={`step-${step.key}`}
            className="flex min-w-0 flex-wrap items-start gap-3 rounded-lg bg-white px-3 py-2 shadow-sm"
          >
            {step.done ? (
              <CircleCheck aria-hidden="true" className="mt-0.5 size-5 shrink-0 text-emerald-600" />
            ) : (
              <Circle aria-hidden="true" className="mt-0.5 size-5 shrink-0 text-slate-400" />
            )}
            <div className="flex min-w-0 flex-1 flex-col">
              <span className={cn("font-medium", step.done ? "text-slate-500 line-through" : "text-slate-900")}>
                {index + 1}. {step.title}
                <span className="sr-only">{step.done ? " (done)" : " (to do)"}</span>
              </span>
              <span className="text-sm text-slate-600">{step.hint}</span>
            </div>
            {!step.done && (
              <Link
                to={step.to}
                className="self-center text-sm font-medium text-indigo-700 underline-offset-4 hover:underline"
              >
                {step.action}
              </Link>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
