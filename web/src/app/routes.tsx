import { lazy } from "react";
import { Navigate, type RouteObject } from "react-router";

import { ConnectGitHubPage } from "@/features/auth/ConnectGitHubPage";
import { SignInPage } from "@/features/auth/SignInPage";
import { HomePage } from "@/features/home/HomePage";
import { InviteAcceptPage } from "@/features/invites/InviteAcceptPage";
import { NotFoundPage } from "@/features/not-found/NotFoundPage";
import { OrgLayout } from "@/features/orgs/OrgLayout";

import { Layout } from "./Layout";

// Each org section is its own chunk, fetched when first opened; OrgLayout shows the org's
// header and tabs meanwhile (a Suspense boundary around its outlet).
const MembersPage = lazy(() => import("@/features/members/MembersPage").then((m) => ({ default: m.MembersPage })));
const InvitesPage = lazy(() => import("@/features/invites/InvitesPage").then((m) => ({ default: m.InvitesPage })));
const ApiKeysPage = lazy(() => import("@/features/api-keys/ApiKeysPage").then((m) => ({ default: m.ApiKeysPage })));
const AuditLogPage = lazy(() => import("@/features/audit/AuditLogPage").then((m) => ({ default: m.AuditLogPage })));
const MonitorsPage = lazy(() => import("@/features/monitors/MonitorsPage").then((m) => ({ default: m.MonitorsPage })));
const DigestsPage = lazy(() => import("@/features/digests/DigestsPage").then((m) => ({ default: m.DigestsPage })));
const DigestPage = lazy(() => import("@/features/digests/DigestPage").then((m) => ({ default: m.DigestPage })));
const ChannelsPage = lazy(() => import("@/features/channels/ChannelsPage").then((m) => ({ default: m.ChannelsPage })));
const BillingPage = lazy(() => import("@/features/billing/BillingPage").then((m) => ({ default: m.BillingPage })));
// The legal pages are one small chunk: they are read without a session, from the footer.
const TermsPage = lazy(() => import("@/features/legal/LegalPages").then((m) => ({ default: m.TermsPage })));
const PrivacyPage = lazy(() => import("@/features/legal/LegalPages").then((m) => ({ default: m.PrivacyPage })));
const CookiePolicyPage = lazy(() =>
  import("@/features/legal/LegalPages").then((m) => ({ default: m.CookiePolicyPage })),
);
const SettingsPage = lazy(() => import("@/features/account/SettingsPage").then((m) => ({ default: m.SettingsPage })));
const RestoreAccountPage = lazy(() =>
  import("@/features/account/AccountPages").then((m) => ({ default: m.RestoreAccountPage })),
);
const AccountDeletedPage = lazy(() =>
  import("@/features/account/AccountPages").then((m) => ({ default: m.AccountDeletedPage })),
);
const OrgSettingsPage = lazy(() =>
  import("@/features/orgs/OrgSettingsPage").then((m) => ({ default: m.OrgSettingsPage })),
);

export const routes: RouteObject[] = [
  {
    path: "/",
    element: <Layout />,
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
          { index: true, element: <Navigate to="members" replace /> },
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
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
