import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { sessionRenewed, whenSignedOut } from './api';
import { signOutUrl, type CognitoSignIn, type SignInOutcome } from './oauth';
import { href, useRoute, type Route } from './router';
import { forgetSessionToken, sessionExpiresAt, sessionToken } from './session';
import { SessionNotice } from './session-notice';
import { ActivityView } from './views/activity';
import { AuditView } from './views/audit';
import { ClustersView } from './views/clusters';
import { GroupsView } from './views/groups';
import { PoliciesView } from './views/policies';
import { PolicyEditorView } from './views/policy-editor';
import { ScopeEditorView, ScopesView } from './views/scopes';
import { SettingsView } from './views/settings';
import { TransferView } from './views/transfer';
import { CognitoSignInView, SignInView } from './views/sign-in';

interface Section {
  readonly id: string;
  readonly title: string;
  readonly view: (route: Route) => ComponentChildren;
}

/** The console's sections, in the order of the navigation. */
const sections: readonly Section[] = [
  {
    id: 'policies',
    title: 'Runtime policies',
    // #/policies, #/policies/new, #/policies/edit/<name>; the key remounts the editor for another policy.
    view: ({ parts }) =>
      parts[1] === 'new' ? (
        <PolicyEditorView key="new" name={undefined} />
      ) : parts[1] === 'edit' && parts[2] !== undefined ? (
        <PolicyEditorView key={`edit:${parts[2]}`} name={parts[2]} />
      ) : (
        <PoliciesView />
      ),
  },
  {
    id: 'scopes',
    title: 'Application scopes',
    // #/scopes, #/scopes/new, #/scopes/edit/<name>
    view: ({ parts }) =>
      parts[1] === 'new' ? (
        <ScopeEditorView key="new" name={undefined} />
      ) : parts[1] === 'edit' && parts[2] !== undefined ? (
        <ScopeEditorView key={`edit:${parts[2]}`} name={parts[2]} />
      ) : (
        <ScopesView />
      ),
  },
  { id: 'audit', title: 'Audit log', view: () => <AuditView /> },
  { id: 'groups', title: 'Enforcer groups', view: () => <GroupsView /> },
  { id: 'clusters', title: 'Clusters', view: () => <ClustersView /> },
  { id: 'activity', title: 'Activity', view: () => <ActivityView /> },
  { id: 'settings', title: 'Settings', view: () => <SettingsView /> },
  { id: 'transfer', title: 'Import and export', view: () => <TransferView /> },
];

interface AppProps {
  /** AWS: the Cognito sign-in of config.json; absent in local mode (admin token). */
  readonly cognito?: CognitoSignIn;
  /** What this load's URL said about a Cognito sign-in (a refusal is shown on the sign-in page). */
  readonly outcome?: SignInOutcome;
}

export function App({ cognito, outcome }: AppProps) {
  const [signedIn, setSignedIn] = useState(() => sessionToken() !== undefined);
  // Once signed in, an ended session keeps the page (and any form being edited) and asks to sign in again on it.
  const [ended, setEnded] = useState(false);
  const [expiresAt, setExpiresAt] = useState(sessionExpiresAt);
  const route = useRoute();
  useEffect(() => whenSignedOut(() => setEnded(true)), []);
  const expired = useCallback(() => {
    forgetSessionToken();
    setEnded(true);
  }, []);
  const renewed = useCallback(() => {
    setEnded(false);
    setExpiresAt(sessionExpiresAt());
    sessionRenewed();
  }, []);

  if (!signedIn && cognito) return <CognitoSignInView config={cognito} error={outcome?.kind === 'refused' ? outcome.message : undefined} />;
  if (!signedIn)
    return (
      <SignInView
        onSignedIn={() => {
          setEnded(false);
          setSignedIn(true);
        }}
      />
    );

  const section = sections.find((s) => s.id === route.parts[0]) ?? sections[0]!;
  return (
    <div class="layout">
      <header class="top">
        <a class="brand" href={href(sections[0]!.id)}>
          Vigil
        </a>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.id}>
                <a href={href(s.id)} aria-current={s === section ? 'page' : undefined}>
                  {s.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="link"
          onClick={() => {
            forgetSessionToken();
            setEnded(false);
            // In AWS, Cognito's own session ends too, and its logout endpoint sends the browser back here.
            if (cognito) location.assign(signOutUrl(cognito));
            else setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        <SessionNotice cognito={cognito} ended={ended} expiresAt={expiresAt} onExpired={expired} onRenewed={renewed} />
        {section.view(route)}
      </main>
    </div>
  );
}
