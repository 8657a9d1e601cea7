import { Link, useLocation } from "react-router";

import { Button } from "@/components/ui/button";

export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <section aria-labelledby="not-found-title" className="mx-auto flex max-w-lg flex-col items-start gap-4 py-8">
      <title>Page not found · Infrasync</title>
      <p className="text-sm font-semibold text-indigo-700">404</p>
      <h1 id="not-found-title" className="text-3xl font-bold tracking-tight text-slate-900">
        Page not found
      </h1>
      <p className="text-slate-700">
        There is no page at <code className="rounded bg-slate-100 px-1.5 py-0.5 text-sm break-all">{pathname}</code> in
        Infrasync.
      </p>
      <Button asChild>
        <Link to="/">Go to the home page</Link>
      </Button>
    </section>
  );
}
