// The session's credential lives only in sessionStorage: it is gone when the tab closes, and no other tab or
// later visit sees it. It is never written to localStorage, a cookie or the URL. In local mode it is the admin
// token; in AWS it is Cognito's access token, with the instant it expires (from the token answer's
// `expires_in`), so the console can warn before it does.

const TOKEN_KEY = 'vigil.adminToken';
const EXPIRES_KEY = 'vigil.sessionExpiresAt';

/** Counts the tokens kept in this page, so that a refusal can be told apart from one of an older token. */
let keptTokens = 0;

/** Which token this page holds now: a refusal of a call made under an earlier one ends no session. */
export function sessionGeneration(): number {
  return keptTokens;
}

export function sessionToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Epoch milliseconds at which the session's token stops working, when the sign-in service said so. */
export function sessionExpiresAt(): number | undefined {
  const text = sessionStorage.getItem(EXPIRES_KEY);
  const value = text === null ? NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function keepSessionToken(token: string, expiresAt?: number): void {
  keptTokens += 1;
  sessionStorage.setItem(TOKEN_KEY, token);
  if (expiresAt === undefined) sessionStorage.removeItem(EXPIRES_KEY);
  else sessionStorage.setItem(EXPIRES_KEY, String(expiresAt));
}

export function forgetSessionToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
}
