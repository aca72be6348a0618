// Hash routes (#/policies, #/policies/edit/<name>): the page itself is one file, so any route survives a
// reload without the server knowing the console's routes, in local mode and behind CloudFront alike.

import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Segments after `#/`, decoded. */
  readonly parts: readonly string[];
  /** Query parameters after `?` inside the hash. */
  readonly params: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?', 2);
  return {
    parts: path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent),
    params: new URLSearchParams(search),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = (): void => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The href of a console route, e.g. `href('policies', 'edit', name)`. */
export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function navigate(...parts: string[]): void {
  location.hash = href(...parts);
}
