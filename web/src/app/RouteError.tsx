import { RefreshCw } from "lucide-react";
import { isRouteErrorResponse, Link, useRouteError } from "react-router";

import { errorMessage } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { NotFoundPage } from "@/features/not-found/NotFoundPage";

import { PageLoadError } from "./lazyPage";
import { useOnline } from "./useOnline";

function reload() {
  window.location.reload();
}

/**
 * What a route shows in place of a page that failed, inside the app's header (and an
 * org's tabs): never React Router's developer screen. A page whose chunk could not be
 * fetched (offline, or a tab older than the last deploy) offers a reload; anything
 * else says what went wrong and offers a reload too. Opening another tab leaves it.
 */
export function RouteError() {
  const error = useRouteError();
  const online = useOnline();

  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;

  if (error instanceof PageLoadError) {
    return (
      <Problem
        title={online ? "This page could not be loaded" : "You are offline"}
        text={
          online
            ? "Infrasync may have been updated since this tab was opened. Reload to get the current version; nothing you saved is lost."
            : "This page could not be fetched without a connection. Reconnect, then reload."
        }
      />
    );
  }
  return (
    <Problem title="Something went wrong on this page" text="Reload to try again.">
      <ErrorMessage message={errorMessage(error)} />
    </Problem>
  );
}

function Problem({ title, text, children }: { title: string; text: string; children?: React.ReactNode }) {
  return (
    <section
      aria-labelledby="route-error-title"
      data-testid="route-error"
      className="mx-auto flex max-w-lg flex-col items-start gap-4 py-8"
    >
      <title>{`${title} · Infrasync`}</title>
      <h2 id="route-error-title" className="text-2xl font-bold tracking-tight text-slate-900">
        {title}
      </h2>
      <p className="text-slate-700">{text}</p>
      {children}
      <div className="flex flex-wrap gap-3">
        <Button onClick={reload}>
          <RefreshCw aria-hidden="true" />
          Reload
        </Button>
        <Button asChild variant="outline">
          <Link to="/">Go to the home page</Link>
        </Button>
      </div>
    </section>
  );
}
