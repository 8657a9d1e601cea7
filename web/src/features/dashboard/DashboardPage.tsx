import { useCurrentOrg } from "@/features/orgs/OrgLayout";

import { Attention } from "./Attention";
import { Budget } from "./Budget";
import { Onboarding } from "./Onboarding";
import { RecentDigests } from "./RecentDigests";
import { Trends } from "./Trends";

/** The org's landing page: how to get started, what needs attention, the newest digests, the trends. */
export function DashboardPage() {
  const org = useCurrentOrg();
  return (
    <section aria-labelledby="dashboard-title" className="flex min-w-0 flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h2 id="dashboard-title" className="text-xl font-semibold text-slate-900">
          Dashboard
        </h2>
        <p className="text-sm text-slate-600 wrap-anywhere">How {org.name} is doing, and what needs someone now.</p>
      </div>
      <Onboarding org={org} />
      <div className="grid min-w-0 grid-cols-1 gap-4 lg:grid-cols-2">
        <Attention org={org} />
        <RecentDigests org={org} />
      </div>
      <Trends org={org} />
      <Budget org={org} />
    </section>
  );
}
