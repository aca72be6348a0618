// Loading what a view shows: one hook for the "call the API when these inputs change, ignore answers that
// arrive after the inputs moved on, keep the error" pattern, and the paragraph every view shows an error in.

import { useEffect, useRef, useState } from 'preact/hooks';
import { SignedOut, whenSessionRenewed } from './api';

export interface Loaded<T> {
  /** The latest answer; the previous one stays while new inputs load, so a view does not flash empty. */
  readonly value: T | undefined;
  /** Why the latest load failed, in words; undefined while loading and after a success. */
  readonly error: string | undefined;
}

/**
 * Runs `load` now and whenever `deps` change (`load` undefined: nothing to load). An answer to inputs that have
 * since changed, or to a view that is gone, is dropped. `onLoaded` receives each answer kept, for views that
 * turn it into their own state (an editor's draft). A load the ended session refused runs again once the user
 * has signed in again.
 */
export function useLoad<T>(load: (() => Promise<T>) | undefined, deps: readonly unknown[], onLoaded?: (value: T) => void): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ value: undefined, error: undefined });
  const [attempt, setAttempt] = useState(0);
  const refusedBySession = useRef(false);
  // The latest callbacks, without making them inputs: views pass new closures on every render.
  const latest = useRef({ load, onLoaded });
  latest.current = { load, onLoaded };

  useEffect(() => {
    const run = latest.current.load;
    if (run === undefined) return undefined;
    let current = true;
    refusedBySession.current = false;
    setState((previous) => (previous.error === undefined ? previous : { ...previous, error: undefined }));
    run().then(
      (value) => {
        if (!current) return;
        latest.current.onLoaded?.(value);
        setState({ value, error: undefined });
      },
      (caught: unknown) => {
        if (!current) return;
        refusedBySession.current = caught instanceof SignedOut;
        setState((previous) => ({ ...previous, error: caught instanceof Error ? caught.message : String(caught) }));
      },
    );
    return () => {
      current = false;
    };
    // deps are the caller's inputs, as in useEffect; attempt counts the runs asked for after the session was renewed.
  }, [...deps, attempt]);

  useEffect(() => whenSessionRenewed(() => refusedBySession.current && setAttempt((a) => a + 1)), []);
  return state;
}

/** The paragraph a view shows an error in (announced as it appears); nothing without a message. */
export function ErrorMessage({ message, prefix }: { message: string | undefined; prefix?: string }) {
  if (message === undefined || message === '') return null;
  return (
    <p class="error" role="alert">
      {prefix}
      {message}
    </p>
  );
}
