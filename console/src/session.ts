// The admin token lives only in sessionStorage: it is gone when the tab closes, and no other tab or
// later visit sees it. It is never written to localStorage, a cookie or the URL.

const TOKEN_KEY = 'vigil.adminToken';

export function sessionToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function keepSessionToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetSessionToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
