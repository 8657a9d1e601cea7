import { useMe } from "@/features/auth/queries";
import { SignInButton } from "@/features/auth/SignInButton";
import { ServerStatusCard } from "@/features/health/ServerStatusCard";
import { YourOrgs } from "@/features/orgs/YourOrgs";

export const PRODUCT_DESCRIPTION =
  "Keep your team in sync with its GitHub repositories — digests of pull requests, reviews, issues, commits and releases, delivered to Slack, Discord, email and webhooks.";

/** Signed out: what Infrasync is and a way in. Signed in: your orgs. */
export function HomePage() {
  const me = useMe();
  if (me.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600">
        Loading…
      </p>
    );
  }
  if (me.data) return <YourOrgs aside={<ServerStatusCard />} />;
  return <Landing />;
}

function Landing() {
  return (
    <div className="grid grid-cols-1 gap-10 lg:grid-cols-[minmax(0,1fr)_22rem] lg:items-start">
      <title>Infrasync</title>
      <section aria-labelledby="home-title" className="flex flex-col gap-6">
        <h1 id="home-title" className="text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">
          Infrasync
        </h1>
        <p className="max-w-2xl text-lg leading-relaxed text-slate-700">{PRODUCT_DESCRIPTION}</p>
        <div>
          <SignInButton testId="sign-in" />
        </div>
      </section>
      <ServerStatusCard />
    </div>
  );
}
