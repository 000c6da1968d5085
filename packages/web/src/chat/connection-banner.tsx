import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { useChat, useChatRuntime } from './chat-context.js';
import { describeChatError } from './chat-errors.js';
import { connectionView, type ConnectionView } from './connection-view.js';

/** A connection that comes up within this long never shows "Connecting…" (no flash on load). */
const CONNECTING_GRACE_MS = 1_000;
/** How long "Back online" stays after a recovery. */
const BACK_ONLINE_MS = 3_000;

function useWaiting(client: ReturnType<typeof useChat>['client']): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (client === null) {
      setCount(0);
      return undefined;
    }
    const update = () => setCount(client.pendingCount);
    update();
    const offs = [client.on('status', update), client.on('state', update)];
    return () => offs.forEach((off) => off());
  }, [client]);
  return count;
}

const waitingText = (n: number) =>
  n === 0
    ? ''
    : n === 1
      ? ' 1 message is waiting to be sent.'
      : ` ${n} messages are waiting to be sent.`;

/**
 * The state of the chat's connection, always in the page as a live region so that a
 * screen reader hears it change: connecting, offline (with what waits in the outbox),
 * reconnecting, back online, the session's end, or chat open in another tab.
 */
export function ConnectionBanner() {
  const chat = useChat();
  const runtime = useChatRuntime();
  const view = connectionView(chat);
  const waiting = useWaiting(chat.client);
  const [shown, setShown] = useState<ConnectionView | 'back-online' | null>(null);
  const previous = useRef<ConnectionView | 'back-online' | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (view === 'online') {
      const recovering = previous.current !== null && previous.current !== 'back-online';
      setShown(recovering ? 'back-online' : null);
      previous.current = recovering ? 'back-online' : null;
      if (recovering) {
        timer = setTimeout(() => {
          setShown(null);
          previous.current = null;
        }, BACK_ONLINE_MS);
      }
    } else if (view === 'connecting' && previous.current === null) {
      timer = setTimeout(() => {
        setShown('connecting');
        previous.current = 'connecting';
      }, CONNECTING_GRACE_MS);
    } else {
      setShown(view);
      previous.current = view;
    }
    return () => clearTimeout(timer);
  }, [view]);

  let body: ReactNode = null;
  switch (shown) {
    case null:
      break;
    case 'back-online':
      body = <p>Back online.</p>;
      break;
    case 'online':
      break;
    case 'connecting':
      body = (
        <p>
          <span className="spinner spinner--small" aria-hidden="true" /> Connecting…
          {waitingText(waiting)}
        </p>
      );
      break;
    case 'offline':
      body = (
        <p>
          <strong>You’re offline.</strong> Messages you write will be sent when you’re back online.
          {waitingText(waiting)}
        </p>
      );
      break;
    case 'reconnecting':
      body = (
        <>
          <p>
            <strong>Reconnecting…</strong> The server can’t be reached right now.
            {waitingText(waiting)}
          </p>
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => runtime.reconnectNow()}
          >
            Try now
          </button>
        </>
      );
      break;
    case 'ended':
      body = (
        <>
          <p>
            <strong>Your session has ended.</strong> Sign in again to keep chatting.
          </p>
          <Link href="/login" className="button button--secondary button--small">
            Sign in
          </Link>
        </>
      );
      break;
    case 'elsewhere':
      body = (
        <>
          <p>
            <strong>Chat is open in another tab or window.</strong> It can only run in one at a
            time.
          </p>
          <button
            type="button"
            className="button button--primary button--small"
            onClick={() => runtime.useHere()}
          >
            Use here
          </button>
        </>
      );
      break;
    case 'failed':
      body = (
        <>
          <p>
            <strong>Chat couldn’t start.</strong> {describeChatError(chat.failure)}
          </p>
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => runtime.retry()}
          >
            Try again
          </button>
        </>
      );
      break;
  }

  const tone =
    shown === 'back-online'
      ? 'good'
      : shown === 'offline' || shown === 'ended' || shown === 'failed'
        ? 'bad'
        : 'info';
  return (
    <div className="chat-banner-region" role="status">
      {body !== null && (
        <div className={`chat-banner chat-banner--${tone}`} data-state={shown}>
          {body}
        </div>
      )}
      {chat.volatile && (
        <div className="chat-banner chat-banner--info">
          <p>
            This browser doesn’t let the app store data: your messages are kept only until this tab
            closes.
          </p>
        </div>
      )}
    </div>
  );
}
