// The session's notice at the top of every view: a warning a few minutes before the token expires, with a
// way to stay signed in, and, once the session has ended (the clock ran out or the API answered 401), a way
// to sign in again without leaving the page, so that a form being edited keeps what was typed.

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatTime } from './format';
import { signInAgainInWindow, startSignIn, type CognitoSignIn } from './oauth';
import { checkAdminToken } from './views/sign-in';

/** How long before the token expires the console warns. */
export const WARN_BEFORE_MS = 5 * 60_000;

type Phase = 'fresh' | 'expiring' | 'expired';

/** Where the session is against its expiry, re-evaluated exactly when it moves on (no polling). */
function useSessionPhase(expiresAt: number | undefined): Phase {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (expiresAt === undefined) return undefined;
    const current = Date.now();
    const next = current < expiresAt - WARN_BEFORE_MS ? expiresAt - WARN_BEFORE_MS : current < expiresAt ? expiresAt : undefined;
    if (next === undefined) return undefined;
    const timer = setTimeout(() => setNow(Date.now()), next - current);
    return () => clearTimeout(timer);
  }, [expiresAt, now]);
  if (expiresAt === undefined || now < expiresAt - WARN_BEFORE_MS) return 'fresh';
  return now < expiresAt ? 'expiring' : 'expired';
}

interface Props {
  /** AWS: the Cognito sign-in; absent in local mode (admin token). */
  readonly cognito?: CognitoSignIn;
  /** The API refused the token, or its expiry passed. */
  readonly ended: boolean;
  /** When the token expires (AWS), if the sign-in service said so. */
  readonly expiresAt?: number;
  /** The expiry passed while the page was open. */
  readonly onExpired: () => void;
  /** A new token is kept. */
  readonly onRenewed: () => void;
}

export function SessionNotice({ cognito, ended, expiresAt, onExpired, onRenewed }: Props) {
  const phase = useSessionPhase(ended ? undefined : expiresAt);
  useEffect(() => {
    if (phase === 'expired') onExpired();
  }, [phase, onExpired]);

  if (!ended && phase === 'fresh') return null;
  if (!ended && phase === 'expiring' && expiresAt !== undefined)
    return (
      <div class="warning session-notice" role="alert">
        <p>
          Your session ends at {formatTime(new Date(expiresAt).toISOString())}. Stay signed in to keep working; what you have entered stays
          on this page.
        </p>
        {cognito && <CognitoAgain cognito={cognito} label="Stay signed in" onRenewed={onRenewed} />}
      </div>
    );
  return (
    <div class="error-summary session-notice" role="alert">
      {cognito ? (
        <>
          <p>Your session has ended. This page and anything you entered stay as they are: sign in again to continue, then save.</p>
          <CognitoAgain cognito={cognito} label="Sign in again" onRenewed={onRenewed} />
        </>
      ) : (
        <LocalAgain onRenewed={onRenewed} />
      )}
    </div>
  );
}

/** Signs in again in a separate window; if the browser blocks it, offers the sign-in in this tab instead. */
function CognitoAgain({ cognito, label, onRenewed }: { cognito: CognitoSignIn; label: string; onRenewed: () => void }) {
  const [waiting, setWaiting] = useState(false);
  const [blocked, setBlocked] = useState(false);
  const [refusal, setRefusal] = useState<string | undefined>();
  const again = async (): Promise<void> => {
    setBlocked(false);
    setRefusal(undefined);
    setWaiting(true);
    const outcome = await signInAgainInWindow(cognito);
    setWaiting(false);
    if (outcome.kind === 'signed-in') onRenewed();
    else if (outcome.kind === 'blocked') setBlocked(true);
    else if (outcome.kind === 'refused') setRefusal(outcome.message);
  };
  return (
    <>
      {waiting && <p class="hint">Sign in in the window that opened; this page continues once you have.</p>}
      {blocked && (
        <p class="error">
          The browser blocked the sign-in window. Allow pop-up windows for this site and try again, or sign in in this tab: the console
          comes back to this view, but what you entered here and have not saved is lost.
        </p>
      )}
      {refusal && <p class="error">{refusal}</p>}
      <div class="actions">
        <button type="button" onClick={() => void again()}>
          {label}
        </button>
        {blocked && (
          <button type="button" class="secondary" onClick={() => void startSignIn(cognito, location.hash)}>
            Sign in in this tab
          </button>
        )}
      </div>
    </>
  );
}

/** Local mode: the admin token was refused (local mode restarted with another one); ask for the current one here. */
function LocalAgain({ onRenewed }: { onRenewed: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    const refusal = await checkAdminToken(token);
    setBusy(false);
    setError(refusal);
    // checkAdminToken has kept an accepted token; the notice then closes.
    if (refusal === undefined) onRenewed();
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <p>
        The API no longer accepts this tab&apos;s admin token: local mode was restarted with another one. This page and anything you entered
        stay as they are: enter the current admin token, then save.
      </p>
      <label for="session-admin-token">Current admin token</label>
      <input
        ref={input}
        id="session-admin-token"
        type="password"
        autocomplete="off"
        value={token}
        aria-invalid={error !== undefined}
        aria-describedby={error ? 'session-again-error' : undefined}
        onInput={(e) => setToken(e.currentTarget.value)}
      />
      {error && (
        <p id="session-again-error" class="error">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Sign in again
        </button>
      </div>
    </form>
  );
}
