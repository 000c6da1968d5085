import type { ReactNode } from 'react';
import { Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import { useSession } from './api/session.js';
import { ChatConnection, ChatRoutes } from './chat/chat-entry.js';
import { AnnouncerProvider } from './components/announcer.js';
import { Shell } from './components/shell.js';
import { safeNextPath } from './lib/next-path.js';
import { SignInScreen, SignUpScreen } from './screens/auth-screens.js';
import { LinkStatsScreen } from './screens/link-stats-screen.js';
import { LinksScreen } from './screens/links-screen.js';
import { NotFoundScreen } from './screens/not-found-screen.js';
import { SettingsScreen } from './screens/settings-screen.js';
import { ShortenScreen } from './screens/shorten-screen.js';

/** Screens for signed-in users: anyone else is sent to sign in, and comes back after. */
function SignedIn({ children }: { children: ReactNode }) {
  const session = useSession();
  const [path] = useLocation();
  const search = useSearch();
  if (session === null) {
    const here = `${path}${search === '' ? '' : `?${search}`}`;
    return <Redirect to={`/login?next=${encodeURIComponent(here)}`} replace />;
  }
  return children;
}

/** Sign-in and sign-up are pointless when signed in: go where the user was heading. */
function SignedOut({ children }: { children: ReactNode }) {
  const session = useSession();
  const search = useSearch();
  if (session !== null) return <Redirect to={safeNextPath(search)} replace />;
  return children;
}

/**
 * The app's routes. They match `WEB_APP_ROUTES` on the server, which answers each with
 * this app; `/chat` is reserved there for the chat screens to come.
 */
export function App() {
  return (
    <AnnouncerProvider>
      <ChatConnection />
      <Shell>
        <Switch>
          <Route path="/">
            <ShortenScreen />
          </Route>
          <Route path="/login">
            <SignedOut>
              <SignInScreen />
            </SignedOut>
          </Route>
          <Route path="/signup">
            <SignedOut>
              <SignUpScreen />
            </SignedOut>
          </Route>
          <Route path="/links">
            <SignedIn>
              <LinksScreen />
            </SignedIn>
          </Route>
          <Route path="/links/:code">
            {(params) => <LinkStatsScreen key={params.code} code={params.code} />}
          </Route>
          <Route path="/chat">
            <SignedIn>
              <ChatRoutes />
            </SignedIn>
          </Route>
          <Route path="/chat/*">
            <SignedIn>
              <ChatRoutes />
            </SignedIn>
          </Route>
          <Route path="/settings">
            <SignedIn>
              <SettingsScreen />
            </SignedIn>
          </Route>
          <Route>
            <NotFoundScreen />
          </Route>
        </Switch>
      </Shell>
    </AnnouncerProvider>
  );
}
