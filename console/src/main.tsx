import { render } from 'preact';
import { setApiBaseUrl } from './api';
import { App } from './app';
import { completeSignIn, loadCognitoSignIn, type SignInOutcome } from './oauth';

// In AWS a config.json next to the page names the Cognito sign-in; a page loaded with Cognito's answer in its
// address completes that sign-in before the first render.
const cognito = await loadCognitoSignIn();
let outcome: SignInOutcome = { kind: 'none' };
if (cognito) {
  setApiBaseUrl(cognito.apiBaseUrl);
  outcome = await completeSignIn(cognito);
}

const root = document.getElementById('app');
if (root) render(<App cognito={cognito} outcome={outcome} />, root);
