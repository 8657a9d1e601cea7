import type { RouteObject } from "react-router";

import { ConnectGitHubPage } from "@/features/auth/ConnectGitHubPage";
import { SignInPage } from "@/features/auth/SignInPage";
import { HomePage } from "@/features/home/HomePage";
import { InviteAcceptPage } from "@/features/invites/InviteAcceptPage";
import { NotFoundPage } from "@/features/not-found/NotFoundPage";
import { OrgLayout } from "@/features/orgs/OrgLayout";

import { Layout } from "./Layout";
import { lazyPage } from "./lazyPage";
import { RouteError } from "./RouteError";

// Each org section is its own chunk, fetched when first opened; OrgLayout shows the org's
// header and tabs meanwhile (a Suspense boundary around its outlet). A chunk that cannot
// be fetched (offline, or a tab older than the last deploy) is a PageLoadError, which
// RouteError (below) turns into a reload offer.
// The org's landing page; its charts (Recharts) are a further chunk, fetched when drawn.
const DashboardPage = lazyPage(() => import("@/features/dashboard/DashboardPage").then((m) => m.DashboardPage));
const MembersPage = lazyPage(() => import("@/features/members/MembersPage").then((m) => m.MembersPage));
const InvitesPage = lazyPage(() => import("@/features/invites/InvitesPage").then((m) => m.InvitesPage));
const ApiKeysPage = lazyPage(() => import("@/features/api-keys/ApiKeysPage").then((m) => m.ApiKeysPage));
const AuditLogPage = lazyPage(() => import("@/features/audit/AuditLogPage").then((m) => m.AuditLogPage));
const MonitorsPage = lazyPage(() => import("@/features/monitors/MonitorsPage").then((m) => m.MonitorsPage));
const DigestsPage = lazyPage(() => import("@/features/digests/DigestsPage").then((m) => m.DigestsPage));
const DigestPage = lazyPage(() => import("@/features/digests/DigestPage").then((m) => m.DigestPage));
const ChannelsPage = lazyPage(() => import("@/features/channels/ChannelsPage").then((m) => m.ChannelsPage));
const BillingPage = lazyPage(() => import("@/features/billing/BillingPage").then((m) => m.BillingPage));
// The legal pages are one small chunk: they are read without a session, from the footer.
const TermsPage = lazyPage(() => import("@/features/legal/LegalPages").then((m) => m.TermsPage));
const PrivacyPage = lazyPage(() => import("@/features/legal/LegalPages").then((m) => m.PrivacyPage));
const CookiePolicyPage = lazyPage(() => import("@/features/legal/LegalPages").then((m) => m.CookiePolicyPage));
const SettingsPage = lazyPage(() => import("@/features/account/SettingsPage").then((m) => m.SettingsPage));
const RestoreAccountPage = lazyPage(() => import("@/features/account/AccountPages").then((m) => m.RestoreAccountPage));
const AccountDeletedPage = lazyPage(() => import("@/features/account/AccountPages").then((m) => m.AccountDeletedPage));
const OrgSettingsPage = lazyPage(() => import("@/features/orgs/OrgSettingsPage").then((m) => m.OrgSettingsPage));

export const routes: RouteObject[] = [
  {
    path: "/",
    element: <Layout />,
    // Only if the header itself fails; a page's failure is caught below, inside it.
    errorElement: <RouteError />,
    children: [
      {
        // A failed page shows RouteError in its place, under the header.
        errorElement: <RouteError />,
        children: [
          { index: true, element: <HomePage /> },
          { path: "signin", element: <SignInPage /> },
          { path: "connect/github", element: <ConnectGitHubPage /> },
          { path: "invites/:token", element: <InviteAcceptPage /> },
          { path: "settings", element: <SettingsPage /> },
          { path: "account/restore", element: <RestoreAccountPage /> },
          { path: "account/deleted", element: <AccountDeletedPage /> },
          { path: "legal/terms", element: <TermsPage /> },
          { path: "legal/privacy", element: <PrivacyPage /> },
          { path: "legal/cookies", element: <CookiePolicyPage /> },
          {
            path: "orgs/:slug",
            element: <OrgLayout />,
            children: [
              {
                // A failed section shows RouteError under the org's name and tabs.
                errorElement: <RouteError />,
                children: [
                  { index: true, element: <DashboardPage /> },
                  { path: "monitors", element: <MonitorsPage /> },
                  { path: "digests", element: <DigestsPage /> },
                  { path: "digests/:digestId", element: <DigestPage /> },
                  { path: "channels", element: <ChannelsPage /> },
                  { path: "members", element: <MembersPage /> },
                  { path: "invites", element: <InvitesPage /> },
                  { path: "api-keys", element: <ApiKeysPage /> },
                  { path: "audit", element: <AuditLogPage /> },
                  { path: "billing", element: <BillingPage /> },
                  { path: "settings", element: <OrgSettingsPage /> },
                ],
              },
            ],
          },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
