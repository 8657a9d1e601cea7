/** What each `/signin?error=<code>` from the server means to the person signing in. */
export const SIGN_IN_ERRORS: Record<string, string> = {
  github_not_configured:
    "GitHub sign-in is not set up on this server. Ask your administrator for a one-time sign-in link.",
  bad_state:
    "This sign-in was started in another browser or tab, or its link was damaged on the way. Please start again.",
  state_reused: "This sign-in attempt was already used. Please start again.",
  state_expired: "Signing in took too long, so it timed out. Please start again.",
  access_denied:
    "You declined access on GitHub, so you are not signed in. Start again and authorize Infrasync to sign in.",
  github_error: "GitHub reported a problem with this sign-in. Please start again.",
  code_rejected: "GitHub did not accept this sign-in (its code had expired or was already used). Please start again.",
  github_unavailable: "GitHub could not be reached. Please try again shortly.",
  account_deleted:
    "This account is deleted. Signing in with GitHub within the retention period after deleting it offers to restore it; after that it is gone for good. Ask your administrator if you think this is a mistake.",
  connect_needs_sign_in:
    "Connecting GitHub needs you to be signed in to Infrasync in this browser. Sign in, then connect GitHub again.",
  link_invalid:
    "This sign-in link is not valid. Check that you copied all of it, or ask your administrator for a new one.",
  link_used: "This one-time sign-in link has already been used. Ask your administrator for a new one.",
  link_expired: "This sign-in link has expired: links work for 15 minutes. Ask your administrator for a new one.",
};

export const UNKNOWN_SIGN_IN_ERROR =
  "Sign-in did not finish. Please start again; if it keeps failing, ask your administrator.";

export function describeSignInError(code: string): string {
  return Object.hasOwn(SIGN_IN_ERRORS, code) ? SIGN_IN_ERRORS[code] : UNKNOWN_SIGN_IN_ERROR;
}

/** Codes after which the way in is a one-time link from an administrator. */
export const NEEDS_LOGIN_LINK = new Set(["github_not_configured", "link_invalid", "link_used", "link_expired"]);
