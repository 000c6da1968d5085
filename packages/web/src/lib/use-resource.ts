import { useCallback, useEffect, useRef, useState } from 'react';

/** A value loaded from the API, with the three states every screen shows. */
export type Resource<T> =
  | { status: 'loading'; data?: undefined; error?: undefined }
  | { status: 'error'; data?: undefined; error: unknown }
  | { status: 'ready'; data: T; error?: undefined };

/** What a screen can do with a resource besides reading it. */
export interface ResourceControls<T> {
  /** Loads again; the current data stays on screen until the new one arrives. */
  reload: () => void;
  /** True while a reload is in flight. */
  refreshing: boolean;
  /** Applies a local change after a mutation, without a round trip. */
  set: (update: (data: T) => T) => void;
}

/**
 * Loads `load()` whenever `key` changes, aborting the previous request, so a screen
 * never shows the answer to a question it no longer asks.
 */
export function useResource<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
  options: { keepPrevious?: boolean } = {},
): [Resource<T>, ResourceControls<T>] {
  const [state, setState] = useState<Resource<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [refreshing, setRefreshing] = useState(false);
  const loadedKey = useRef<string | null>(null);
  const loadRef = useRef(load);
  const keepPrevious = options.keepPrevious === true;
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    // A reload, or a new question whose old answer may stay up meanwhile (another period
    // of the same chart), keeps the data on screen instead of flashing a spinner.
    const keep = loadedKey.current === key || (keepPrevious && loadedKey.current !== null);
    if (keep) setRefreshing(true);
    else setState({ status: 'loading' });
    loadRef.current(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        loadedKey.current = key;
        setState({ status: 'ready', data });
        setRefreshing(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        loadedKey.current = null;
        setState({ status: 'error', error });
        setRefreshing(false);
      },
    );
    return () => controller.abort();
  }, [key, attempt, keepPrevious]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const set = useCallback(
    (update: (data: T) => T) =>
      setState((s) => (s.status === 'ready' ? { status: 'ready', data: update(s.data) } : s)),
    [],
  );
  return [state, { reload, refreshing, set }];
}
