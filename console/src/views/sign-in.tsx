import { useState } from 'preact/hooks';
import { ApiError, call } from '../api';
import { ErrorMessage } from '../load';
import { startSignIn, type CognitoSignIn } from '../oauth';
import { keepSessionToken } from '../session';

interface Props {
  readonly onSignedIn: () => void;
}

/**
 * Checks an admin token with a real admin call and, when the API accepts it, keeps it for this tab. Answers
 * why it was not kept, or undefined when it was.
 */
export async function checkAdminToken(typed: string): Promise<string | undefined> {
  const candidate = typed.trim();
  if (candidate === '') return 'Enter the admin token.';
  try {
    await call('GET', '/v1/policies?limit=1', { token: candidate });
    keepSessionToken(candidate);
    return undefined;
  } catch (caught) {
    return caught instanceof ApiError && caught.status === 401
      ? 'The admin token was refused. Use the token npm start printed (or VIGIL_ADMIN_TOKEN).'
      : `Cannot reach the API: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
}

/**
 * Local mode's sign-in: the admin token `npm start` printed. It is checked with a real admin call before it
 * is kept, and kept only in this tab's sessionStorage.
 */
export function SignInView({ onSignedIn }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const refusal = await checkAdminToken(token);
    setBusy(false);
    if (refusal === undefined) onSignedIn();
    else setError(refusal);
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Vigil</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          name="admin-token"
          type="password"
          autocomplete="off"
          required
          value={token}
          aria-invalid={error !== undefined}
          aria-describedby={error ? 'sign-in-error' : 'sign-in-hint'}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <p id="sign-in-hint" class="hint">
          Kept only for this browser tab, until it closes or you sign out.
        </p>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

interface CognitoProps {
  readonly config: CognitoSignIn;
  readonly error?: string;
}

/**
 * Sign-in in AWS: the button sends the browser to the Cognito sign-in page (user pool or the company IdP); the
 * console comes back with a code and keeps only the short-lived access token, for this tab.
 */
export function CognitoSignInView({ config, error }: CognitoProps) {
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Vigil</h1>
      <ErrorMessage message={error} />
      <p class="hint">
        You sign in on your organization&apos;s sign-in page and come back here. This tab keeps the session until it closes or you sign out.
      </p>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          // The route the user opened (e.g. a link to a policy) is where the console opens after signing in.
          void startSignIn(config, location.hash);
        }}
      >
        Sign in
      </button>
    </main>
  );
}
