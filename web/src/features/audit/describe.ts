import type { AuditEvent } from "@/api/client";

/** What each recorded action means, in words; unknown actions show their code. */
export const AUDIT_ACTIONS: Record<string, string> = {
  "org.create": "Created the org",
  "org.rename": "Renamed the org",
  "org.delete": "Deleted the org",
  "org.restore": "Restored the org",
  "member.role_change": "Changed a member's role",
  "member.remove": "Removed a member",
  "member.leave": "Left the org",
  "invite.create": "Created an invite",
  "invite.revoke": "Revoked an invite",
  "invite.accept": "Accepted an invite",
  "api_key.create": "Created an API key",
  "api_key.revoke": "Revoked an API key",
  "monitor.create": "Added a monitor",
  "monitor.update": "Changed a monitor",
  "monitor.delete": "Deleted a monitor",
  "channel.create": "Added a channel",
  "channel.update": "Changed a channel",
  "channel.delete": "Deleted a channel",
  "channel.test": "Sent a test message",
  "channel.rotate_secret": "Rotated a webhook's signing secret",
  "feed.enable": "Turned on a monitor's feed",
  "feed.disable": "Turned off a monitor's feed",
  "feed.rotate": "Rotated a feed's URL",
  "auth.sign_in": "Signed in",
  "auth.sign_out": "Signed out",
  "auth.session_revoked": "Signed out another session",
  "auth.sessions_revoked": "Signed out every other session",
  "user.delete": "Deleted their account",
  "user.restore": "Restored their account",
  "member.account_deleted": "A member deleted their account",
  "member.account_restored": "A member restored their account",
  "github.connect": "Connected GitHub",
  "github.disconnect": "Disconnected GitHub",
  "github.private_access_grant": "Gave access to private repositories",
  "github_token.offer": "Offered their GitHub token to the org",
  "github_token.withdraw": "Withdrew their GitHub token",
  "github_token.detach": "A GitHub token was detached from monitors",
  "billing.checkout": "Opened Stripe Checkout",
  "billing.portal": "Opened the billing portal",
  "billing.plan_change": "The plan changed",
  "billing.subscription_status": "The subscription's status changed",
  "billing.monitors_paused": "Monitors were paused by a downgrade",
};

export function describeAction(action: string): string {
  return Object.hasOwn(AUDIT_ACTIONS, action) ? AUDIT_ACTIONS[action] : action;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function isChange(value: unknown): value is { from: unknown; to: unknown } {
  return typeof value === "object" && value !== null && "from" in value && "to" in value;
}

/** The event's details as short lines: "role: member → admin", "expires in days: 7". */
export function describeDetails(details: AuditEvent["details"]): string[] {
  if (isChange(details)) {
    const { from, to, ...rest } = details;
    return [`${show(from)} → ${show(to)}`, ...describeDetails(rest)];
  }
  return Object.entries(details).map(([key, value]) => {
    const label = key.replaceAll("_", " ");
    return isChange(value) ? `${label}: ${show(value.from)} → ${show(value.to)}` : `${label}: ${show(value)}`;
  });
}

/** What the event acted on, as shown after its action: "bob", "Deploy bot". */
export function describeTarget(target: AuditEvent["target"]): string | null {
  if (!target) return null;
  // Invites without an email are recorded with the label "link".
  if (target.type === "invite" && target.label === "link") return "anyone with the link";
  return target.label;
}
