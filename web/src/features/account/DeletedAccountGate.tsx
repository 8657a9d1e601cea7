import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";

import { useMe } from "@/features/auth/queries";

/** Where the server sends a deleted account that signed in again (auth/router.py RESTORE_PAGE). */
export const RESTORE_PATH = "/account/restore";

/**
 * While a deleted account is signed in again, the server answers 403 to everything but
 * restoring it: every page but the question (and the legal pages) leads to the question.
 */
export function DeletedAccountGate({ children }: { children: ReactNode }) {
  const me = useMe();
  const { pathname } = useLocation();
  const open = pathname === RESTORE_PATH || pathname.startsWith("/legal/");
  if (me.data?.deleted_at && !open) return <Navigate to={RESTORE_PATH} replace />;
  return children;
}
