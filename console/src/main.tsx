import { render } from 'preact';
import { setApiBaseUrl } from './api';
import { App } from './app';
import { completeSignIn, handBackSignIn, loadCognitoSignIn, type SignInOutcome } from './oauth';

/** The sign-in window's page once it has handed Cognito's answer back to the console tab. */
function SignedInAgain() {
  return (
    <main id="main" class="sign-in">
      <h1>Signed in again</h1>
      <p role="status">Go back to the console: it continues where you were. This window closes by itself; if it stays, close it.</p>
    </main>
  );
}

// In AWS a config.json next to the page names the Cognito sign-in; a page loaded with Cognito's answer in its
// address completes that sign-in before the first render.
async function start(root: HTMLElement): Promise<void> {
  try {
    const cognito = await loadCognitoSignIn();
    let outcome: SignInOutcome = { kind: 'none' };
    if (cognito) {
      setApiBaseUrl(cognito.apiBaseUrl);
      outcome = await completeSignIn(cognito);
    }
    render(<App cognito={cognito} outcome={outcome} />, root);
  } catch (caught) {
    // Without its settings the console cannot tell how to sign in: say so rather than show a blank page.
    render(
      <main id="main" class="sign-in">
        <h1>Vigil console</h1>
        <p role="alert" class="error">
          The console could not read its settings (config.json): {caught instanceof Error ? caught.message : String(caught)}. Reload the
          page; if it persists, redeploy the stack.
        </p>
      </main>,
      root,
    );
  }
}

const root = document.getElementById('app');
if (root && handBackSignIn()) {
  render(<SignedInAgain />, root);
  // A window the console opened may close itself; the message above stays if the browser does not allow it.
  close();
} else if (root) void start(root);
