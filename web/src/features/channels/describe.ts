import type { ChannelCreate, ChannelKind, ChannelRef, DeliveryAttempt } from "@/api/client";
import { formatDateTime } from "@/lib/format";

/** The kinds an admin can add (the demo's inbox folder is made by the server only). */
export const CHANNEL_KINDS: readonly {
  value: ChannelCreate["kind"];
  label: string;
  /** The label of what the form asks for: a URL, or addresses. */
  target: string;
  placeholder: string;
  hint: string;
}[] = [
  {
    value: "slack",
    label: "Slack",
    target: "Slack webhook URL",
    placeholder: "https://hooks.slack.com/services/T…/B…/…",
    hint: "An incoming webhook of a Slack app: Slack shows it under Incoming Webhooks.",
  },
  {
    value: "discord",
    label: "Discord",
    target: "Discord webhook URL",
    placeholder: "https://discord.com/api/webhooks/…/…",
    hint: "A channel's webhook: Server Settings → Integrations → Webhooks → Copy Webhook URL.",
  },
  {
    value: "email",
    label: "Email",
    target: "Email addresses",
    placeholder: "team@example.com, lead@example.com",
    hint: "One or more addresses, separated by commas or new lines. Each email has a one-click unsubscribe link.",
  },
  {
    value: "webhook",
    label: "Generic webhook",
    target: "Webhook URL",
    placeholder: "https://example.com/hooks/infrasync",
    hint: "Your endpoint gets each digest as JSON, signed by the Standard Webhooks scheme.",
  },
];

export function kindLabel(kind: ChannelKind): string {
  if (kind === "file") return "Inbox folder";
  return CHANNEL_KINDS.find((choice) => choice.value === kind)?.label ?? kind;
}

/** "a@x.com, b@y.com\nc@z.com" → each address once. */
export function addressList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

export type Tone = "ok" | "waiting" | "bad" | "none";

/** Text colours of each tone. */
export const TONE_CLASSES: Record<Tone, string> = {
  ok: "text-emerald-800",
  waiting: "text-amber-900",
  bad: "text-red-800",
  none: "text-slate-600",
};

/**
 * How the last digest's delivery to a channel went, in one line that answers "why didn't
 * it arrive?": delivered, waiting for a retry, failed and why, or the channel disabled and why.
 */
export function describeDelivery(channel: Pick<ChannelRef, "disabled" | "disabled_reason" | "last_delivery">): {
  tone: Tone;
  text: string;
} {
  const delivery = channel.last_delivery;
  if (channel.disabled) {
    const reason = channel.disabled_reason ? `: ${channel.disabled_reason}` : "";
    return { tone: "bad", text: `Channel disabled${reason}` };
  }
  if (!delivery) return { tone: "none", text: "Nothing sent yet" };
  const error = delivery.last_error ? ` (${delivery.last_error})` : "";
  switch (delivery.state) {
    case "delivered":
      return {
        tone: "ok",
        text: delivery.delivered_at ? `Delivered ${formatDateTime(delivery.delivered_at)}` : "Delivered",
      };
    case "pending":
      if (delivery.attempts === 0) return { tone: "waiting", text: "Waiting to be sent" };
      return {
        tone: "waiting",
        text: delivery.next_attempt_at
          ? `Pending: retry at ${formatDateTime(delivery.next_attempt_at)}${error}`
          : `Pending retry${error}`,
      };
    case "sending":
      return { tone: "waiting", text: "Sending…" };
    case "failed":
      return { tone: "bad", text: `Failed: ${delivery.last_error ?? "the receiver kept refusing it"}` };
    case "cancelled":
      return { tone: "none", text: "Cancelled" };
  }
}

/** Whether a delivery may still change without anyone acting (so a page keeps looking). */
export function deliveryInFlight(channel: Pick<ChannelRef, "disabled" | "last_delivery">): boolean {
  const state = channel.last_delivery?.state;
  return !channel.disabled && (state === "pending" || state === "sending");
}

/** An attempt's outcome in the delivery log. */
export function attemptOutcome(attempt: DeliveryAttempt): { tone: Tone; text: string } {
  switch (attempt.outcome) {
    case "delivered":
      return { tone: "ok", text: "Delivered" };
    case "retry":
      return { tone: "waiting", text: "Failed, will retry" };
    case "failed":
      return { tone: "bad", text: "Failed" };
    case "test":
      return attempt.error ? { tone: "bad", text: "Test failed" } : { tone: "ok", text: "Test delivered" };
  }
}

/** "120 ms", "2.4 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
