import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export const CSRF_COOKIE = "infrasync_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The value of a cookie the page can read, or null. */
export function readCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) {
      const value = rest.join("=");
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

/**
 * The server accepts a POST, PUT, PATCH or DELETE made with the session cookie only when
 * it echoes the readable CSRF cookie in a header: another site can make the browser send
 * the cookie, but it cannot read it.
 */
export const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
    const token = readCookie(CSRF_COOKIE);
    if (token) request.headers.set(CSRF_HEADER, token);
    return request;
  },
};

/**
 * Typed client for the Infrasync backend. The web app is served by the backend itself
 * (or proxied to it by the Vite dev server), so requests go to the same origin and carry
 * the session cookie.
 */
export const api = createClient<paths>({
  baseUrl: "",
  credentials: "include",
  // Look `fetch` up on every call rather than once at import time, so a replaced global
  // (a test's stub, an instrumentation wrapper) is honoured.
  fetch: (request) => globalThis.fetch(request),
});
api.use(csrfMiddleware);

type Schemas = components["schemas"];
export type Health = Schemas["Health"];
export type Readiness = Schemas["Readiness"];
export type Me = Schemas["Me"];
export type Role = Schemas["Role"];
export type Org = Schemas["OrgOut"];
export type OrgCreate = Schemas["OrgCreate"];
export type OrgUpdate = Schemas["OrgUpdate"];
export type Member = Schemas["MemberOut"];
export type Invite = Schemas["InviteOut"];
export type InviteCreate = Schemas["InviteCreate"];
export type InviteCreated = Schemas["InviteCreated"];
export type InvitePreview = Schemas["InvitePreview"];
export type ApiKey = Schemas["ApiKeyOut"];
export type ApiKeyCreate = Schemas["ApiKeyCreate"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type AuditEvent = Schemas["AuditEventOut"];
export type AuditPage = Schemas["AuditPage"];
export type Monitor = Schemas["MonitorOut"];
export type MonitorCreate = Schemas["MonitorCreate"];
export type MonitorUpdate = Schemas["MonitorUpdate"];
export type Credential = Schemas["CredentialOut"];
/** A GitHub token as an org sees it: offered to the org, and whether it is the caller's own. */
export type OrgToken = Schemas["OrgTokenOut"];
export type ConnectGitHubBody = Schemas["ConnectGitHub"];
/** A part of a digest a monitor may leave out. */
export type Section = NonNullable<MonitorCreate["sections"]>[number];
export type WriterChoice = MonitorCreate["writer"];
export type RunDigest = Schemas["RunDigest"];
export type DigestSummary = Schemas["DigestSummary"];
export type DigestDetail = Schemas["DigestDetail"];
export type DigestOut = Schemas["DigestOut"];
export type DigestPage = Schemas["DigestPage"];
export type DigestRepository = Schemas["Repository"];
export type Metrics = Schemas["MetricsV1"];
/** One window's figures: `Metrics` without its schema and previous window. */
export type PeriodFigures = Schemas["PeriodFigures"];
export type DigestItems = Schemas["DigestItems"];
export type ServerInfo = Schemas["ServerInfo"];
export type Schedule = Schemas["ScheduleIn"];
export type ScheduleKind = Schedule["kind"];
export type SchedulePreview = Schemas["SchedulePreview"];
/** A digest run: queued, running, then done, failed or skipped. */
export type Run = Schemas["RunOut"];
export type Channel = Schemas["ChannelOut"];
export type ChannelKind = Channel["kind"];
export type ChannelCreate = Schemas["ChannelCreate"];
export type ChannelCreated = Schemas["ChannelCreated"];
export type ChannelUpdate = Schemas["ChannelUpdate"];
/** A channel as a monitor lists it, with its delivery of the monitor's last digest. */
export type ChannelRef = Schemas["ChannelRef"];
export type DeliveryStatus = Schemas["DeliveryStatus"];
export type ChannelTestResult = Schemas["TestResult"];
export type DeliveryAttempt = Schemas["AttemptOut"];
export type DeliveryAttemptPage = Schemas["AttemptPage"];
export type Billing = Schemas["BillingOut"];
export type LimitUsage = Schemas["LimitUsage"];
export type Plan = Schemas["PlanOut"];
