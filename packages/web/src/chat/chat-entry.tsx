import { lazy, Suspense, useEffect, useSyncExternalStore } from 'react';
import { useSession } from '../api/session.js';
import { Loading } from '../components/status.js';
import { wasUsed } from './usage.js';

// The chat's code (the SDK, its schemas, the screens) is a chunk of its own, loaded by
// people who chat: the shortener's pages stay as light as they were.
const LazyConnection = lazy(() =>
  import('./chat-context.js').then((m) => ({ default: m.ChatConnection })),
);
const LazyRoutes = lazy(() => import('./chat-routes.js').then((m) => ({ default: m.ChatRoutes })));

/** The path the page was loaded at: any other means the user navigated to the chat. */
const LOADED_AT = typeof location === 'undefined' ? '' : location.pathname;

let wanted = false;
const listeners = new Set<() => void>();

/** Chat is needed in this tab from now on (a chat screen, or an account that chats). */
function want(): void {
  if (wanted) return;
  wanted = true;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Keeps the tab's chat connected on every screen for an account that uses chat in this
 * browser; renders nothing. Once loaded it stays, so that a sign-out can still erase
 * the account's history here.
 */
export function ChatConnection() {
  const session = useSession();
  const needed = useSyncExternalStore(subscribe, () => wanted);
  useEffect(() => {
    if (session !== null && wasUsed(session.userId)) want();
  }, [session]);
  if (!needed) return null;
  return (
    <Suspense fallback={null}>
      <LazyConnection />
    </Suspense>
  );
}

/** The chat's screens (`/chat`, `/chat/user/<id>`, `/chat/group/<id>`), loaded on first visit. */
export function ChatRoutes() {
  useEffect(() => want(), []);
  return (
    <Suspense fallback={<Loading label="Opening chat…" />}>
      <LazyRoutes focusHeading={location.pathname !== LOADED_AT} />
    </Suspense>
  );
}
