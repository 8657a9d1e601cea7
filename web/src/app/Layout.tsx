import { Link, Outlet } from "react-router";

import { AccountMenu } from "@/features/auth/AccountMenu";

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
          <div className="ml-auto">
            <AccountMenu />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-5xl flex-1 px-4 py-10 sm:px-6 sm:py-16">
        <Outlet />
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto w-full max-w-5xl px-4 py-4 text-sm text-slate-600 sm:px-6">
          Infrasync — GitHub activity digests for your team.
        </div>
      </footer>
    </div>
  );
}
