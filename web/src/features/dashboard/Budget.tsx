import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import type { Org } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { formatDateTime } from "@/lib/format";

import { budgetQuery, type TokenBudget } from "./queries";

const LINK = "font-medium text-indigo-700 underline-offset-4 hover:underline";

/** How much of GitHub's API the org's tokens have left, as GitHub last said it to this server. */
export function Budget({ org }: { org: Org }) {
  const budget = useQuery(budgetQuery(org.slug));
  const monitorsHref = `/orgs/${org.slug}/monitors`;
  return (
    <section
      aria-labelledby="budget-title"
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <h3 id="budget-title" className="text-lg font-semibold text-slate-900">
        GitHub API budget
      </h3>
      {budget.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading…
        </p>
      )}
      {budget.isError && <ErrorMessage error={budget.error} />}
      {budget.data && budget.data.tokens.length === 0 && budget.data.monitors_without_token === 0 && (
        <p className="text-sm text-slate-600" data-testid="budget-empty">
          No monitor reads GitHub with a token yet. A monitor of a GitHub repository reads with a member&apos;s token:{" "}
          <Link to={monitorsHref} className={LINK}>
            add one on Monitors
          </Link>
          .
        </p>
      )}
      {budget.data && budget.data.monitors_without_token > 0 && (
        <p className="text-sm text-amber-800">
          {budget.data.monitors_without_token === 1
            ? "1 GitHub monitor has no token"
            : `${budget.data.monitors_without_token} GitHub monitors have no token`}
          : its runs are refused until one is chosen on{" "}
          <Link to={monitorsHref} className={LINK}>
            Monitors
          </Link>
          .
        </p>
      )}
      {budget.data && budget.data.tokens.length > 0 && (
        <ul aria-label="GitHub tokens" className="flex flex-col gap-3">
          {budget.data.tokens.map((token) => (
            <TokenRow key={`${token.token_hint}-${token.github_login ?? ""}`} token={token} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TokenRow({ token }: { token: TokenBudget }) {
  const whose = token.owner === "org" ? "The org's token" : `${token.github_login ?? "A member"}'s token`;
  return (
    <li className="flex min-w-0 flex-col gap-1 text-sm">
      <p className="text-slate-900 wrap-anywhere">
        <span className="font-medium">{whose}</span> <code className="text-xs text-slate-600">{token.token_hint}</code>{" "}
        · {token.monitors === 1 ? "1 monitor" : `${token.monitors} monitors`}
      </p>
      {token.rejected && (
        <p className="text-red-700">GitHub refused this token: it reads nothing until it is replaced.</p>
      )}
      {token.resources.length === 0 ? (
        <p className="text-slate-600">
          No figures yet: this server has not used the token since it started (its next run will tell).
        </p>
      ) : (
        token.resources.map((resource) => {
          const share =
            resource.limit && resource.remaining !== null ? Math.max(0, resource.remaining / resource.limit) : null;
          return (
            <div key={resource.resource} className="flex min-w-0 flex-col gap-1">
              <p className="text-slate-700" data-testid={`budget-${resource.resource}`}>
                {resource.resource === "graphql" ? "GraphQL" : resource.resource}:{" "}
                {resource.remaining === null ? "unknown" : resource.remaining.toLocaleString()}
                {resource.limit !== null ? ` of ${resource.limit.toLocaleString()}` : ""} left
                {resource.resets_at ? `, refills ${formatDateTime(resource.resets_at)}` : ""}
              </p>
              {share !== null && (
                <div aria-hidden="true" className="h-1.5 w-full overflow-hidden rounded bg-slate-100">
                  <div
                    className={
                      share < 0.1 ? "h-full bg-red-500" : share < 0.3 ? "h-full bg-amber-500" : "h-full bg-emerald-500"
                    }
                    // A width from data; React sets it through the CSSOM, which the CSP allows.
                    style={{ width: `${Math.round(share * 100)}%` }}
                  />
                </div>
              )}
            </div>
          );
        })
      )}
    </li>
  );
}
