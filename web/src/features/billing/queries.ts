import { queryOptions, useMutation } from "@tanstack/react-query";

import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export const billingKey = (slug: string) => [...orgKeys.org(slug), "billing"] as const;

/**
 * The org's plan, usage and subscription. After Checkout the plan changes only when Stripe's
 * signed event reaches the server, a moment after the browser comes back: `waitingForStripe`
 * asks again every two seconds until the plan is pro.
 */
export function billingQuery(slug: string, waitingForStripe = false) {
  return queryOptions({
    queryKey: billingKey(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/billing", { params: { path: { org: slug } } })),
    refetchInterval: (query) =>
      waitingForStripe && query.state.data?.mode === "saas" && query.state.data.plan !== "pro" ? 2000 : false,
  });
}

/**
 * Checkout and the Billing Portal are Stripe's pages: the server opens a session for the org
 * in the path (owners only) and the browser leaves for the URL it answers with.
 */
export function useStartCheckout(slug: string) {
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/orgs/{org}/billing/checkout", { params: { path: { org: slug } } })),
    onSuccess: ({ url }) => window.location.assign(url),
  });
}

export function useOpenPortal(slug: string) {
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/orgs/{org}/billing/portal", { params: { path: { org: slug } } })),
    onSuccess: ({ url }) => window.location.assign(url),
  });
}
