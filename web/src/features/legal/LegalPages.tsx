import type { ReactNode } from "react";
import { Link, NavLink } from "react-router";

import { cn } from "@/lib/utils";

import {
  CSRF_COOKIE,
  DEFAULT_RETENTION_DAYS,
  HISTORY_DAYS,
  OAUTH_STATE_COOKIE,
  OAUTH_STATE_MINUTES,
  OAUTH_STATE_PATH,
  PENDING_INVITE_KEY,
  SESSION_ABSOLUTE_DAYS,
  SESSION_COOKIE,
  SESSION_IDLE_DAYS,
} from "./facts";
import { LEGAL_PAGES } from "./links";

/** When these texts last changed in substance. */
const UPDATED = "3 December 2026";

function LegalPage({ title, intro, children }: { title: string; intro: ReactNode; children: ReactNode }) {
  return (
    <article aria-labelledby="legal-title" className="mx-auto flex max-w-3xl flex-col gap-6">
      <title>{`${title} · Infrasync`}</title>
      <nav aria-label="Legal pages" className="flex flex-wrap gap-2 text-sm">
        {LEGAL_PAGES.map((page) => (
          <NavLink
            key={page.to}
            to={page.to}
            className={({ isActive }) =>
              cn(
                "rounded-md px-2 py-1 outline-none focus-visible:ring-2 focus-visible:ring-indigo-500",
                isActive ? "bg-indigo-50 font-medium text-indigo-800" : "text-slate-600 hover:text-slate-900",
              )
            }
          >
            {page.label}
          </NavLink>
        ))}
      </nav>
      <header className="flex flex-col gap-2">
        <h1 id="legal-title" className="text-3xl font-bold tracking-tight text-slate-900">
          {title}
        </h1>
        <p className="text-sm text-slate-600">Last updated {UPDATED}.</p>
        <div className="text-slate-700">{intro}</div>
      </header>
      <div className="flex flex-col gap-8 text-sm leading-6 text-slate-800 [&_h2]:mb-2 [&_h2]:text-lg [&_h2]:font-semibold [&_h2]:text-slate-900 [&_li]:ml-5 [&_li]:list-disc [&_p+p]:mt-2 [&_ul]:mt-2 [&_ul]:flex [&_ul]:flex-col [&_ul]:gap-1">
        {children}
      </div>
    </article>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

const code = "rounded bg-slate-100 px-1 font-mono text-[0.8125rem]";

/** Who "we" are: whoever runs this server, a hosted service or a team's own install. */
function WhoWeAre() {
  return (
    <p>
      Infrasync is run by the operator of the server you are using: on the hosted service, Infrasync's operator; on a
      self-hosted server, the organisation that installed it, which decides its settings and is responsible for the data
      on it.
    </p>
  );
}

export function TermsPage() {
  return (
    <LegalPage
      title="Terms of Service"
      intro={
        <p>
          These terms cover using Infrasync: signing in, running orgs, monitors and digests, and paying for the pro plan
          where the server offers one.
        </p>
      }
    >
      <Section title="The service">
        <WhoWeAre />
        <p>
          Infrasync reads the activity of the repositories you choose (pull requests, issues, releases, commits) and
          writes digests of it, which it keeps and delivers to the channels your org sets up (Slack, Discord, email,
          webhooks). It is offered as it is, and we work to keep it available, but we promise no particular uptime.
        </p>
      </Section>
      <Section title="Your account and your org">
        <ul>
          <li>
            You sign in with GitHub or a one-time link from your server's administrator. Keep your account to yourself.
          </li>
          <li>
            An org's owners decide who is in it and with which role; whatever an org's members do in it is the org's
            responsibility.
          </li>
          <li>
            Point monitors only at repositories you may read, and channels only at destinations you may post to. A
            digest can contain the titles, authors and links of private work: send it where it may be seen.
          </li>
          <li>
            Do not use Infrasync to break the law, to attack other systems, or to get around GitHub's terms or rate
            limits.
          </li>
        </ul>
      </Section>
      <Section title="Plans and payment">
        <p>
          Where the server offers plans, the free plan costs nothing and has limits (active monitors, channels, members,
          how often digests run, the AI writer, and {HISTORY_DAYS.free} days of digest history); the pro plan lifts
          them, as each org's billing page states. Pro is a subscription paid through Stripe, at the price and interval
          Checkout shows before you pay. It renews until an owner cancels it in the billing portal; a cancelled
          subscription stays pro until the end of the period paid for.
        </p>
        <p>
          If a payment fails, the org keeps pro for a grace period while Stripe retries the card, then moves to free.
          Moving to free never deletes anything: monitors beyond the free limit are paused, newest first, and the org's
          billing page lists them. Self-hosted servers have no plans, no limits and no payment.
        </p>
      </Section>
      <Section title="Deleting">
        <p>
          You can delete your account, and an owner can delete an org, at any time in the settings. Either can be
          restored for the server's retention period ({DEFAULT_RETENTION_DAYS} days unless its operator set another),
          then it is deleted for good. See the <Link to="/legal/privacy">Privacy Policy</Link> for what is kept and for
          how long.
        </p>
      </Section>
      <Section title="Responsibility">
        <p>
          To the extent the law allows, we are not liable for indirect losses, nor for digests that miss or misstate
          activity (an AI writer's sentences are checked against the facts, but can still be wrong). Nothing here limits
          rights the law gives you that cannot be limited.
        </p>
        <p>
          We may suspend an account or org that breaks these terms. We may change these terms, and say so here with a
          new date; using Infrasync afterwards means accepting them.
        </p>
      </Section>
    </LegalPage>
  );
}

export function PrivacyPage() {
  return (
    <LegalPage
      title="Privacy Policy"
      intro={<p>What Infrasync stores about you and your org, why, for how long, and who else handles it.</p>}
    >
      <Section title="Who is responsible">
        <WhoWeAre />
      </Section>
      <Section title="What is stored">
        <ul>
          <li>
            <strong>Your profile</strong>, from GitHub when you sign in: login, name, email address and avatar address.
          </li>
          <li>
            <strong>Your GitHub connection</strong>, if you connect one for monitors: the token, encrypted, with its
            scopes. The API only ever shows its last characters; you can disconnect it in your settings at any time.
          </li>
          <li>
            <strong>Orgs and memberships</strong>: which orgs you are in and your role, invites you created, API keys
            (kept as a hash only).
          </li>
          <li>
            <strong>Monitors and digests</strong>: what each monitor reads and when, and each digest's text and figures
            about the repository's activity (titles, authors, links, counts), including who asked for it.
          </li>
          <li>
            <strong>Channels and deliveries</strong>: where digests go (webhook addresses encrypted; email recipients'
            addresses), each delivery attempt and its outcome, and addresses that unsubscribed.
          </li>
          <li>
            <strong>Sessions and the audit log</strong>: for security, each session and each audited action (sign-ins,
            member, invite, channel, key, billing changes and deletions) records when, from which IP address and with
            which browser.
          </li>
          <li>
            <strong>Billing</strong>, on servers with plans: the org's Stripe customer and subscription identifiers and
            status. Card details go to Stripe only and never reach Infrasync.
          </li>
        </ul>
        <p>
          Infrasync uses no analytics, no advertising and no tracking. It uses this data only to run the service, keep
          it secure, and bill for it.
        </p>
      </Section>
      <Section title="How long it is kept">
        <ul>
          <li>
            A session lasts at most {SESSION_ABSOLUTE_DAYS} days, and ends after {SESSION_IDLE_DAYS} days without use or
            when you sign out.
          </li>
          <li>
            Digests are kept for the org's plan's history: {HISTORY_DAYS.free} days on free, {HISTORY_DAYS.pro} days on
            pro, and for as long as the org exists on a self-hosted server. Older ones are deleted daily.
          </li>
          <li>
            A deleted account or org can be restored for the server's retention period, set by{" "}
            <code className={code}>INFRASYNC_RETENTION_DAYS</code> ({DEFAULT_RETENTION_DAYS} days unless its operator
            set another). Afterwards it is deleted for good, with everything that belongs to it. Records of others that
            name a deleted user (an audit entry, a digest they asked for) keep working without their name.
          </li>
          <li>Everything else is kept while your account or your org exists.</li>
        </ul>
      </Section>
      <Section title="Who else handles it (sub-processors)">
        <ul>
          <li>
            <strong>GitHub</strong>: signs you in, and is where monitors read repository activity, with your token or
            the server's.
          </li>
          <li>
            <strong>Stripe</strong>: takes payments for the pro plan, on servers with plans. It receives the org's name
            and what Checkout asks you for.
          </li>
          <li>
            <strong>The configured AI model endpoint</strong>: when the server's operator configures one (
            <code className={code}>INFRASYNC_LLM_BASE_URL</code>, any OpenAI-compatible service) and a monitor uses the
            AI writer, the facts of the repository's activity for that digest are sent to it. Without one, nothing is.
          </li>
          <li>
            <strong>The SMTP provider</strong> the server sends email through: email channels' recipients' addresses and
            the digests sent to them.
          </li>
        </ul>
        <p>
          Slack, Discord and webhook receivers get the digests your org sends them: they are destinations your org
          chooses, under your org's agreements with them.
        </p>
      </Section>
      <Section title="Your rights">
        <p>
          In your <Link to="/settings">settings</Link> you can see your profile, download everything about you as one
          JSON document (<em>Export my data</em>), disconnect GitHub, and delete your account. To correct your profile,
          change it on GitHub and sign in again. For anything else, including a complaint, contact the operator of this
          server; you may also complain to your data protection authority.
        </p>
      </Section>
    </LegalPage>
  );
}

interface Cookie {
  name: string;
  purpose: string;
  lifetime: string;
  flags: string;
}

const COOKIES: Cookie[] = [
  {
    name: SESSION_COOKIE,
    purpose: "Keeps you signed in: a signed token for your session on the server.",
    lifetime: `Until you sign out; at most ${SESSION_ABSOLUTE_DAYS} days, and the session ends after ${SESSION_IDLE_DAYS} days without use.`,
    flags: "HttpOnly (pages cannot read it), Secure, SameSite=Lax",
  },
  {
    name: CSRF_COOKIE,
    purpose:
      "Protects your account from other sites: the web app sends its value back with every change, which another site cannot do.",
    lifetime: `The same as ${SESSION_COOKIE}.`,
    flags: "Readable by this web app, Secure, SameSite=Lax",
  },
  {
    name: OAUTH_STATE_COOKIE,
    purpose:
      "Only while you sign in with or connect GitHub: proves that the browser coming back from GitHub is the one that left.",
    lifetime: `${OAUTH_STATE_MINUTES} minutes, and removed as soon as GitHub sends you back.`,
    flags: `HttpOnly, Secure, SameSite=Lax, sent only to ${OAUTH_STATE_PATH}`,
  },
];

export function CookiePolicyPage() {
  return (
    <LegalPage
      title="Cookie Policy"
      intro={
        <p>
          Infrasync uses only essential cookies: the ones it needs to sign you in and keep your account safe. There are
          no analytics, advertising or third-party cookies, so there is nothing to consent to.
        </p>
      }
    >
      <Section title="The cookies">
        <div className="overflow-x-auto">
          <table className="w-full min-w-[36rem] text-left">
            <thead>
              <tr className="border-b border-slate-200 text-slate-600">
                <th scope="col" className="py-2 pr-4 font-medium">
                  Name
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Purpose
                </th>
                <th scope="col" className="py-2 pr-4 font-medium">
                  Lifetime
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 align-top">
              {COOKIES.map((cookie) => (
                <tr key={cookie.name} data-testid="cookie-row">
                  <th scope="row" className="py-2 pr-4 font-mono text-[0.8125rem] font-medium">
                    {cookie.name}
                  </th>
                  <td className="py-2 pr-4">
                    {cookie.purpose}
                    <span className="mt-1 block text-xs text-slate-600">{cookie.flags}</span>
                  </td>
                  <td className="py-2 pr-4">{cookie.lifetime}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          They are set by this server only, for its own address. Secure is left out only on a server reached over plain
          http on this computer (a local install), where browsers would refuse the cookie.
        </p>
      </Section>
      <Section title="Browser storage">
        <p>
          If you open an invite link before signing in, the web app remembers it in your browser's local storage, under{" "}
          <code className={code}>{PENDING_INVITE_KEY}</code>, so it can lead you back to it, and forgets it once you
          accept or dismiss it. It never leaves your browser.
        </p>
      </Section>
      <Section title="Third parties">
        <p>
          GitHub and Stripe set their own cookies on their own pages when you sign in with GitHub or pay through Stripe
          Checkout; their policies cover those. Infrasync's pages load nothing from other sites.
        </p>
      </Section>
      <Section title="Turning cookies off">
        <p>
          You can block or delete cookies in your browser. Without them you cannot sign in; signing out removes the
          session and CSRF cookies at once.
        </p>
      </Section>
    </LegalPage>
  );
}
