// The console route a Cognito sign-in carries in its OAuth state (oauth.ts). Cognito sends the browser back to
// the one registered URL, without the fragment the route lives in, so the route travels in the state and is
// checked when it comes back. Pure (no DOM), so that it is unit-tested on its own.

/** The longest console route the state carries; a longer one is dropped and the console opens at its start. */
const MAX_ROUTE_LENGTH = 256;

/**
 * The console route of a fragment, or undefined when it is not one: `#/` and then path segments and an optional
 * query of URL-safe characters only. The route only ever becomes this page's fragment, but it comes back from
 * another site, so anything else (another origin, a script URL, markup) is refused rather than interpreted.
 */
export function consoleRoute(fragment: string): string | undefined {
  if (fragment.length > MAX_ROUTE_LENGTH) return undefined;
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: two character classes, the second after one literal '?', no nested quantifier.
  return /^#\/[A-Za-z0-9._~%/-]*(\?[A-Za-z0-9._~%=&+-]*)?$/.test(fragment) && !fragment.startsWith('#//') ? fragment : undefined;
}

/** The route a state carries, if it is a console route. */
export function routeOfState(state: string): string | undefined {
  const encoded = state.split('.', 2)[1];
  if (encoded === undefined) return undefined;
  try {
    const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    return consoleRoute(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return undefined;
  }
}
