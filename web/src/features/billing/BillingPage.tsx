import { useQuery } from "@tanstack/react-query";
import { CircleCheck, CreditCard, ExternalLink, Info, PauseCircle, Server, TriangleAlert } from "lucide-react";
import { type ReactNode, useId } from "react";
import { Link, useSearchParams } from "react-router";

import type { Billing, LimitUsage, Org, Plan } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDate } from "@/lib/format";
import { cn } from "@/lib/utils";

import { billingQuery, useOpenPortal, useStartCheckout } from "./queries";

const PLAN_LABELS: Record<NonNullable<Billing["plan"]>, string> = { free: "Free", pro: "Pro" };

/** Stripe's subscription statuses, in words a customer knows. */
const STATUS_LABELS: Record<string, string> = {
  active: "active",
  trialing: "in its trial",
  past_due: "payment overdue",
  unpaid: "unpaid",
  canceled: "cancelled",
  incomplete: "waiting for the first payment",
  incomplete_expired: "never paid",
  paused: "paused",
};

export function BillingPage() {
  const org = useCurrentOrg();
  const [search] = useSearchParams();
  const checkout = search.get("checkout");
  const billing = useQuery(billingQuery(org.slug, checkout === "success"));

  return (
    <div className="flex max-w-3xl flex-col gap-6">
      <title>{`Billing · ${org.name} · Infrasync`}</title>
      <h2 className="text-xl font-semibold text-slate-900">Billing</h2>
      {billing.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading the plan…
        </p>
      )}
      {billing.isError && <ErrorMessage error={billing.error} />}
      {billing.isSuccess &&
        (billing.data.mode === "self_hosted" ? (
          <SelfHosted billing={billing.data} />
        ) : (
          <Saas org={org} billing={billing.data} checkout={checkout} />
        ))}
    </div>
  );
}

function SelfHosted({ billing }: { billing: Billing }) {
  return (
    <>
      <Alert variant="info" role="region" aria-label="Self-hosted server" data-testid="self-hosted-notice">
        <Server aria-hidden="true" className="text-indigo-600" />
        <div className="flex flex-col gap-1">
          <p className="font-medium">This server is self-hosted: there are no plans, no limits and no billing.</p>
          <p className="text-slate-600">
            Every org may have as many monitors, channels and members as it likes, any schedule, the AI writer (when the
            server has a model) and all its digest history. Nothing is ever charged.
          </p>
        </div>
      </Alert>
      <Usage billing={billing} />
      <ThisMonth billing={billing} />
    </>
  );
}

function Saas({ org, billing, checkout }: { org: Org; billing: Billing; checkout: string | null }) {
  return (
    <>
      {checkout === "success" && billing.plan !== "pro" && (
        <Alert variant="info" role="status">
          <Info aria-hidden="true" className="text-indigo-600" />
          <p>Thank you. Stripe is confirming the payment; the plan changes to pro as soon as it does.</p>
        </Alert>
      )}
      {checkout === "success" && billing.plan === "pro" && (
        <Alert variant="success" role="status">
          <CircleCheck aria-hidden="true" />
          <p>Payment confirmed: {org.name} is on pro.</p>
        </Alert>
      )}
      {checkout === "cancelled" && (
        <Alert variant="info" role="status">
          <Info aria-hidden="true" className="text-slate-500" />
          <p>Checkout was cancelled; nothing was charged.</p>
        </Alert>
      )}
      <CurrentPlan org={org} billing={billing} />
      {billing.downgrade && <Downgrade org={org} downgrade={billing.downgrade} />}
      <Usage billing={billing} />
      <ThisMonth billing={billing} />
      {billing.plans.length > 0 && <Plans plans={billing.plans} current={billing.plan} />}
    </>
  );
}

function CurrentPlan({ org, billing }: { org: Org; billing: Billing }) {
  const id = useId();
  const plan = billing.plan ?? "free";
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`} className="flex items-center gap-3">
          <CreditCard aria-hidden="true" className="size-5 text-slate-500" />
          <span>
            Plan: <span data-testid="billing-plan">{PLAN_LABELS[plan]}</span>
          </span>
          {billing.status && (
            <Badge variant={billing.status === "active" || billing.status === "trialing" ? "success" : "destructive"}>
              <span className="sr-only">Subscription </span>
              <span data-testid="billing-status">{STATUS_LABELS[billing.status] ?? billing.status}</span>
            </Badge>
          )}
        </CardTitle>
        <CardDescription>
          <Dates billing={billing} />
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col items-start gap-3">
        <Controls org={org} billing={billing} />
      </CardContent>
    </Card>
  );
}

function Dates({ billing }: { billing: Billing }) {
  if (billing.grace_ends_at) {
    return (
      <span className="text-amber-800" data-testid="billing-grace">
        The last payment failed. Stripe retries the card; pro stays until {formatDate(billing.grace_ends_at)}, then the
        org moves to free.
      </span>
    );
  }
  if (billing.renews_at && billing.cancel_at_period_end) {
    return <span data-testid="billing-renewal">Cancelled: pro ends on {formatDate(billing.renews_at)}.</span>;
  }
  if (billing.renews_at) {
    return <span data-testid="billing-renewal">Renews on {formatDate(billing.renews_at)}.</span>;
  }
  return <span>The free plan costs nothing and never expires.</span>;
}

/** Upgrade and Manage: owners only (the server refuses anyone else too). */
function Controls({ org, billing }: { org: Org; billing: Billing }) {
  const checkout = useStartCheckout(org.slug);
  const portal = useOpenPortal(org.slug);
  if (org.role !== "owner") {
    return (
      <p className="text-sm text-slate-600" data-testid="billing-owners-only">
        Only the owners of {org.name} can change its plan or payment details.
      </p>
    );
  }
  if (!billing.can_upgrade && !billing.can_manage) {
    return (
      <p className="text-sm text-slate-600">
        Billing is not set up on this server yet: its operator needs to configure Stripe.
      </p>
    );
  }
  const leaving = checkout.isPending || checkout.isSuccess || portal.isPending || portal.isSuccess;
  return (
    <>
      <div className="flex flex-wrap gap-3">
        {billing.can_upgrade && (
          <Button variant="primary" disabled={leaving} onClick={() => checkout.mutate()}>
            <CreditCard aria-hidden="true" />
            {checkout.isPending || checkout.isSuccess ? "Opening Checkout…" : "Upgrade to pro"}
          </Button>
        )}
        {billing.can_manage && (
          <Button variant="outline" disabled={leaving} onClick={() => portal.mutate()}>
            <ExternalLink aria-hidden="true" />
            {portal.isPending || portal.isSuccess ? "Opening the portal…" : "Manage billing"}
          </Button>
        )}
      </div>
      <p className="text-xs text-slate-600">
        Payments are handled by Stripe: the card never reaches this server. The plan changes once Stripe confirms the
        payment.
      </p>
      {checkout.isError && <ErrorMessage error={checkout.error} />}
      {portal.isError && <ErrorMessage error={portal.error} />}
    </>
  );
}

function Downgrade({ org, downgrade }: { org: Org; downgrade: NonNullable<Billing["downgrade"]> }) {
  const id = useId();
  return (
    <Alert variant="warning" role="region" aria-labelledby={`${id}-title`}>
      <TriangleAlert aria-hidden="true" />
      <div className="flex flex-col gap-2">
        <p id={`${id}-title`} className="font-medium">
          Moved to free on {formatDate(downgrade.at)}
        </p>
        {downgrade.paused_monitors.length > 0 ? (
          <>
            <p>
              To fit the free plan these monitors were paused (nothing was deleted). Resume them within the limit, or
              upgrade:
            </p>
            <ul aria-label="Monitors paused by the downgrade" className="flex flex-col gap-1">
              {downgrade.paused_monitors.map((monitor) => (
                <li key={monitor.id} className="flex items-center gap-2">
                  <PauseCircle aria-hidden="true" className="size-4" />
                  {monitor.name}
                </li>
              ))}
            </ul>
            <Link
              to={`/orgs/${encodeURIComponent(org.slug)}/monitors`}
              className="font-medium text-indigo-700 underline underline-offset-2"
            >
              Open the monitors
            </Link>
          </>
        ) : (
          <p>Everything fitted the free plan: nothing was paused.</p>
        )}
      </div>
    </Alert>
  );
}

function Usage({ billing }: { billing: Billing }) {
  const id = useId();
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Usage</CardTitle>
      </CardHeader>
      <CardContent className="flex flex-col gap-5">
        <ul className="flex flex-col gap-4">
          {billing.limits.map((usage) => (
            <li key={usage.name}>
              <UsageBar usage={usage} />
            </li>
          ))}
        </ul>
        <dl className="grid gap-3 text-sm sm:grid-cols-3">
          <Fact term="Most frequent schedule" testId="limit-schedule">
            {capitalise(billing.schedule_label)}
          </Fact>
          <Fact term="AI writer" testId="limit-ai-writer">
            {billing.ai_writer ? "Included" : "Not on this plan"}
          </Fact>
          <Fact term="Digest history" testId="limit-history">
            {billing.history_days === null ? "Kept for good" : `${billing.history_days} days`}
          </Fact>
        </dl>
      </CardContent>
    </Card>
  );
}

function UsageBar({ usage }: { usage: LimitUsage }) {
  const id = useId();
  const { used, limit } = usage;
  const full = limit !== null && used >= limit;
  return (
    <div className="flex flex-col gap-1.5" data-testid={`usage-${usage.name}`}>
      <div className="flex items-baseline justify-between gap-3 text-sm">
        <span id={`${id}-label`} className="font-medium text-slate-800">
          {capitalise(usage.label)}
        </span>
        <span className={cn("tabular-nums", full ? "font-medium text-amber-800" : "text-slate-600")}>
          {limit === null ? `${used} · no limit` : `${used} of ${limit}`}
        </span>
      </div>
      {limit !== null && (
        // A native meter (no inline style, which the Content-Security-Policy would refuse),
        // drawn with Chromium's and Firefox's meter pseudo-elements.
        <meter
          aria-labelledby={`${id}-label`}
          min={0}
          max={limit}
          value={Math.min(used, limit)}
          aria-valuetext={`${used} of ${limit}`}
          className={cn(
            "block h-2 w-full appearance-none overflow-hidden rounded-full bg-slate-100",
            // Chromium paints both parts with a gradient (a background image): drop it so the colours show.
            "[&::-webkit-meter-bar]:h-2 [&::-webkit-meter-bar]:rounded-full [&::-webkit-meter-bar]:border-0 [&::-webkit-meter-bar]:bg-slate-100 [&::-webkit-meter-bar]:bg-none",
            "[&::-webkit-meter-optimum-value]:rounded-full [&::-webkit-meter-optimum-value]:bg-none",
            full
              ? "[&::-moz-meter-bar]:bg-amber-500 [&::-webkit-meter-optimum-value]:bg-amber-500"
              : "[&::-moz-meter-bar]:bg-indigo-600 [&::-webkit-meter-optimum-value]:bg-indigo-600",
          )}
        />
      )}
    </div>
  );
}

function ThisMonth({ billing }: { billing: Billing }) {
  const id = useId();
  const { since, digests, deliveries } = billing.this_month;
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>This month</CardTitle>
        <CardDescription>Since {formatDate(since)} (UTC).</CardDescription>
      </CardHeader>
      <CardContent>
        <dl className="grid gap-3 text-sm sm:grid-cols-2">
          <Fact term="Digests made" testId="month-digests">
            {digests}
          </Fact>
          <Fact term="Deliveries delivered" testId="month-deliveries">
            {deliveries}
          </Fact>
        </dl>
      </CardContent>
    </Card>
  );
}

function Plans({ plans, current }: { plans: Plan[]; current: Billing["plan"] }) {
  const id = useId();
  const limit = (value: number | null) => (value === null ? "No limit" : String(value));
  return (
    <Card role="region" aria-labelledby={`${id}-title`}>
      <CardHeader>
        <CardTitle id={`${id}-title`}>Plans</CardTitle>
      </CardHeader>
      <CardContent className="overflow-x-auto">
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="border-b border-slate-200 text-slate-600">
              <th scope="col" className="py-2 pr-4 font-medium">
                <span className="sr-only">Limit</span>
              </th>
              {plans.map((plan) => (
                <th key={plan.name} scope="col" className="py-2 pr-4 font-semibold text-slate-900">
                  {PLAN_LABELS[plan.name]}
                  {plan.name === current && <span className="ml-2 font-normal text-slate-600">(yours)</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            <PlanRow
              label="Active monitors (repositories followed)"
              plans={plans}
              value={(plan) => limit(plan.monitors)}
            />
            <PlanRow label="Channels" plans={plans} value={(plan) => limit(plan.channels)} />
            <PlanRow label="Members and pending invites" plans={plans} value={(plan) => limit(plan.members)} />
            <PlanRow label="Most frequent schedule" plans={plans} value={(plan) => capitalise(plan.schedule_label)} />
            <PlanRow label="AI writer" plans={plans} value={(plan) => (plan.ai_writer ? "Yes" : "No")} />
            <PlanRow
              label="Digest history"
              plans={plans}
              value={(plan) => (plan.history_days === null ? "Kept for good" : `${plan.history_days} days`)}
            />
          </tbody>
        </table>
      </CardContent>
    </Card>
  );
}

function PlanRow({ label, plans, value }: { label: string; plans: Plan[]; value: (plan: Plan) => string }) {
  return (
    <tr>
      <th scope="row" className="py-2 pr-4 font-medium text-slate-700">
        {label}
      </th>
      {plans.map((plan) => (
        <td key={plan.name} className="py-2 pr-4 tabular-nums text-slate-800">
          {value(plan)}
        </td>
      ))}
    </tr>
  );
}

function Fact({ term, testId, children }: { term: string; testId: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-slate-600">{term}</dt>
      <dd className="font-medium text-slate-900" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
