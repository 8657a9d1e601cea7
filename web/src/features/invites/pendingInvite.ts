/**
 * An invite opened while signed out. GitHub sign-in comes back to the invite page by
 * itself (`return_to`), but a one-time sign-in link from an administrator always lands on
 * `/`: remembering the invite lets the home page lead the user back to it.
 */
const KEY = "infrasync.pendingInvite";

export function rememberInvite(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // Storage can be disabled; the invite link itself still works.
  }
}

export function pendingInvite(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function forgetInvite(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // See rememberInvite.
  }
}
