import { useSyncExternalStore } from 'react';

/** The signed-in user of this browser: a device session of the accounts API. */
export interface Session {
  readonly token: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly username: string;
}

/** Why the last session ended, so the sign-in screen can say so. */
export type SessionEnd = 'signed-out' | 'expired';

const STORAGE_KEY = 'switchboard.session';

let current: Session | null = readStored();
let lastEnd: SessionEnd | null = null;
const listeners = new Set<() => void>();

function readStored(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw == null ? null : parseSession(JSON.parse(raw));
  } catch {
    // Storage blocked (privacy mode) or corrupted: start signed out.
    return null;
  }
}

/** Reads a stored session defensively: anything that is not one is treated as none. */
export function parseSession(value: unknown): Session | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const fields = ['token', 'userId', 'deviceId', 'username'] as const;
  if (!fields.every((f) => typeof v[f] === 'string' && v[f] !== '')) return null;
  return {
    token: v.token as string,
    userId: v.userId as string,
    deviceId: v.deviceId as string,
    username: v.username as string,
  };
}

function emit(): void {
  for (const listener of listeners) listener();
}

/** The session right now, for code outside React (the HTTP client). */
export function getSession(): Session | null {
  return current;
}

/** How the previous session ended, if it did in this tab. */
export function getSessionEnd(): SessionEnd | null {
  return lastEnd;
}

/** Stores a new session after sign-up or sign-in. */
export function startSession(session: Session): void {
  current = session;
  lastEnd = null;
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Without storage the session lasts as long as the tab: still usable.
  }
  emit();
}

/** Forgets the session (sign-out, or the server no longer accepts the token). */
export function endSession(reason: SessionEnd): void {
  if (current === null) return;
  current = null;
  lastEnd = reason;
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab signing in or out changes what this one may do: follow it.
globalThis.addEventListener?.('storage', (event: StorageEvent) => {
  if (event.key !== STORAGE_KEY && event.key !== null) return;
  const next = readStored();
  if (next?.token === current?.token) return;
  if (next === null && current !== null) lastEnd = 'signed-out';
  current = next;
  emit();
});

/** The current session, re-rendering when it changes (here or in another tab). */
export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession, () => null);
}
