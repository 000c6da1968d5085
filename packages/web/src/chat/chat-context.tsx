import { useEffect, useSyncExternalStore } from 'react';
import { useLocation } from 'wouter';
import { useSession } from '../api/session.js';
import type { ChatDirectory } from './directory.js';
import type { NotificationsState } from './notifier.js';
import { ChatRuntime, type ChatSnapshot } from './runtime.js';

let runtime: ChatRuntime | null = null;

/** The tab's one chat runtime (one page, one chat connection). */
function tabRuntime(): ChatRuntime {
  runtime ??= new ChatRuntime();
  return runtime;
}

/**
 * Ties the tab's chat to the web session for the whole app, so that the connection (and
 * with it delivery receipts and notifications) lives on while the user is on other
 * screens. Renders nothing.
 */
export function ChatConnection() {
  const session = useSession();
  const runtime = tabRuntime();
  const [, navigate] = useLocation();

  useEffect(() => {
    runtime.navigate = (path) => navigate(path);
  }, [runtime, navigate]);

  useEffect(() => {
    runtime.attach(session);
  }, [runtime, session]);

  useEffect(() => () => runtime.detach(), [runtime]);

  return null;
}

/** The tab's chat runtime. */
export function useChatRuntime(): ChatRuntime {
  return tabRuntime();
}

/** The chat's state, re-rendering on every change. */
export function useChat(): ChatSnapshot {
  const runtime = useChatRuntime();
  return useSyncExternalStore(runtime.subscribe, runtime.getSnapshot);
}

/** Re-renders when names or groups in the directory change; returns the directory. */
export function useDirectory(): ChatDirectory | null {
  const { directory } = useChat();
  useSyncExternalStore(
    (listener) => directory?.subscribe(listener) ?? (() => undefined),
    () => directory?.version ?? 0,
  );
  return directory;
}

/** Desktop notification state, re-rendering when it changes. */
export function useNotifications(): NotificationsState {
  const { notifier } = useChatRuntime();
  return useSyncExternalStore(
    (listener) => notifier.subscribe(listener),
    () => notifier.state,
  );
}
