import { Suspense } from "react";
import { Link, Outlet } from "react-router";

import { DeletedAccountGate } from "@/features/account/DeletedAccountGate";
import { AccountMenu } from "@/features/auth/AccountMenu";
import { LEGAL_PAGES } from "@/features/legal/links";

import { ConnectionBanner } from "./ConnectionBanner";

export function Layout() {
  return (
    <div className="flex min-h-dvh flex-col bg-slate-50 text-slate-900">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 w-full max-w-5xl items-center gap-4 px-4 sm:px-6">
          <Link
            to="/"
            className="flex items-center gap-2 rounded-md font-semibold text-slate-900 outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
          >
            <img src="/favicon.svg" alt="" className="size-6" />
            Infrasync
          </Link>
          <div className="ml-auto min-w-0">
            <AccountMenu />
          </div>
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" className="mx-auto w-full max-w-5xl flex-1 px-4 py-10 sm:px-6 sm:py-16">
        {/* The legal pages and the settings page are chunks of their own, fetched when first opened. */}
        <Suspense
          fallback={
            <p role="status" className="text-sm text-slate-600">
              Loading…
            </p>
          }
        >
          <DeletedAccountGate>
            <Outlet />
          </DeletedAccountGate>
        </Suspense>
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto flex w-full max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-4 text-sm text-slate-600 sm:px-6">
          <span>Infrasync — GitHub activity digests for your team.</span>
          <nav aria-label="Legal" className="sm:ml-auto">
            <ul className="flex flex-wrap gap-x-4 gap-y-1">
              {LEGAL_PAGES.map((page) => (
                <li key={page.to}>
                  <Link
                    to={page.to}
                    className="rounded-sm underline-offset-2 outline-none hover:text-slate-900 hover:underline focus-visible:ring-2 focus-visible:ring-indigo-500"
                  >
                    {page.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        </div>
      </footer>
    </div>
  );
}
