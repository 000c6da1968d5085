import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  type ReactNode,
} from 'react';

/** A short message for everyone: shown as a toast, read out by screen readers. */
export interface Announcement {
  readonly id: number;
  readonly text: string;
  readonly tone: 'info' | 'success' | 'error';
}

type Announce = (text: string, tone?: Announcement['tone']) => void;

const AnnouncerContext = createContext<Announce>(() => undefined);

const TOAST_MS = 4_000;

/**
 * Holds the app's one live region. It is in the page from the start, as screen readers
 * only announce changes to regions they already know.
 */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Announcement[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());

  const announce = useCallback<Announce>((text, tone = 'info') => {
    const id = nextId.current++;
    setToasts((list) => [...list.slice(-2), { id, text, tone }]);
    const timer = setTimeout(() => {
      timers.current.delete(timer);
      setToasts((list) => list.filter((t) => t.id !== id));
    }, TOAST_MS);
    timers.current.add(timer);
  }, []);

  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach(clearTimeout);
  }, []);

  return (
    <AnnouncerContext.Provider value={announce}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <p key={toast.id} className={`toast toast--${toast.tone}`}>
            {toast.text}
          </p>
        ))}
      </div>
    </AnnouncerContext.Provider>
  );
}

/** The function that shows and announces a status message. */
export function useAnnounce(): Announce {
  return useContext(AnnouncerContext);
}
