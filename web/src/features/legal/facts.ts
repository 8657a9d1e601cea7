/**
 * The facts the legal pages state, in one place. Each is the server's own value, written
 * here because the pages must read without a session; tests/test_legal_facts.py checks
 * every one against the backend (auth/cookies.py, auth/service.py, billing/plans.py,
 * config.py), so a change there that is not made here fails the tests.
 */

/** The session cookie: HttpOnly, holds the signed session token. */
export const SESSION_COOKIE = "infrasync_session";
/** The CSRF cookie: readable by the web app, which echoes it in a header on every write. */
export const CSRF_COOKIE = "infrasync_csrf";
/** The OAuth state cookie: binds a GitHub sign-in or connection to the browser that began it. */
export const OAUTH_STATE_COOKIE = "infrasync_oauth_state";
/** Where the OAuth state cookie is sent: only the GitHub sign-in routes. */
export const OAUTH_STATE_PATH = "/auth/github";

/** A session ends after this many days without use… */
export const SESSION_IDLE_DAYS = 14;
/** …and after this many days in any case. */
export const SESSION_ABSOLUTE_DAYS = 30;
/** A GitHub sign-in must finish within this many minutes. */
export const OAUTH_STATE_MINUTES = 10;

/** The browser storage key of an invite opened while signed out (not a cookie). */
export const PENDING_INVITE_KEY = "infrasync.pendingInvite";

/** `INFRASYNC_RETENTION_DAYS`' default: how long a deleted account or org can be restored. */
export const DEFAULT_RETENTION_DAYS = 30;

/** How long each plan keeps digests (billing/plans.py); self-hosted servers keep them for good. */
export const HISTORY_DAYS = { free: 30, pro: 365 } as const;
