import { useQuery } from "@tanstack/react-query";
import { Rss } from "lucide-react";
import { useState } from "react";

import type { Monitor, Org } from "@/api/client";
import { ConfirmButton } from "@/components/ConfirmButton";
import { ErrorMessage } from "@/components/ErrorMessage";
import { ShownOnce } from "@/components/ShownOnce";
import { Button } from "@/components/ui/button";
import { formatDateTime } from "@/lib/format";
import { atLeast } from "@/lib/roles";

import { feedsQuery, useDisableFeed, useEnableFeed, useRotateFeed } from "./queries";

/**
 * A monitor's Atom feed, for admins and owners: whoever holds its URL reads the monitor's
 * last 50 digests without an account, so turning it on shares them outside the org, like
 * a channel or an API key. The URL holds the feed's token and is shown once, when the feed
 * is turned on or its token rotated; afterwards only a hint of it is known.
 */
export function FeedPanel({ org, monitor }: { org: Org; monitor: Monitor }) {
  if (!atLeast(org.role, "admin")) return null;
  return <AdminFeedPanel org={org} monitor={monitor} />;
}

function AdminFeedPanel({ org, monitor }: { org: Org; monitor: Monitor }) {
  const feeds = useQuery(feedsQuery(org.slug));
  const enable = useEnableFeed(org.slug);
  const rotate = useRotateFeed(org.slug);
  const disable = useDisableFeed(org.slug);
  // The URL the last turn-on or rotation answered with; forgotten on Done.
  const [shown, setShown] = useState<string | null>(null);
  const feed = feeds.data?.items.find((item) => item.monitor_id === monitor.id);
  const show = (created: { url: string }) => setShown(created.url);
  const failure = [feeds, enable, rotate, disable].find((state) => state.isError)?.error;

  return (
    <div className="flex flex-col gap-2 border-t border-slate-100 pt-2" data-testid="feed-panel">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="flex items-center gap-1.5 text-xs text-slate-600" data-testid="feed-status">
          <Rss aria-hidden="true" className="size-3.5" />
          {feeds.isPending
            ? "Atom feed…"
            : feed
              ? `Atom feed on (${feed.token_hint}…), since ${formatDateTime(feed.created_at)}${
                  feed.rotated_at ? `, URL rotated ${formatDateTime(feed.rotated_at)}` : ""
                }. Anyone with its URL can read this monitor's digests.`
              : "Atom feed off. Turned on, anyone with its URL can read this monitor's last 50 digests."}
        </p>
        {!feeds.isPending && !feeds.isError && (
          <div className="flex flex-wrap items-center gap-2">
            {feed ? (
              <>
                <ConfirmButton
                  label="Rotate the feed URL"
                  ariaLabel={`Rotate the feed URL of ${monitor.name}`}
                  question="Give the feed a new URL? The old one stops working at once."
                  confirmLabel="Rotate"
                  pending={rotate.isPending}
                  onConfirm={() => rotate.mutate(monitor.id, { onSuccess: show })}
                />
                <ConfirmButton
                  label="Turn off"
                  ariaLabel={`Turn off the feed of ${monitor.name}`}
                  question="Turn the feed off? Its URL stops working at once."
                  confirmLabel="Turn off"
                  pending={disable.isPending}
                  onConfirm={() => disable.mutate(monitor.id, { onSuccess: () => setShown(null) })}
                />
              </>
            ) : (
              <Button
                type="button"
                variant="outline"
                size="sm"
                aria-label={`Turn on the feed of ${monitor.name}`}
                disabled={enable.isPending}
                onClick={() => enable.mutate(monitor.id, { onSuccess: show })}
              >
                <Rss aria-hidden="true" />
                {/* Each label is the start of its button's name ("Turn on the feed of …"). */}
                {enable.isPending ? "Turning on…" : "Turn on the feed"}
              </Button>
            )}
          </div>
        )}
      </div>
      {shown && (
        <ShownOnce
          regionLabel={`Feed URL of ${monitor.name}`}
          copyLabel="Feed URL"
          value={shown}
          onDone={() => setShown(null)}
        >
          Add this URL to your feed reader now: it is shown only this once. Anyone who has it can read this monitor's
          digests; rotate it if it leaks.
        </ShownOnce>
      )}
      {failure && <ErrorMessage error={failure} />}
    </div>
  );
}
