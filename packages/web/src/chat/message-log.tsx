import type { ConversationId, StoredMessage, SwitchboardClient } from '@switchboard/sdk';
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type RefObject,
} from 'react';
import { Loading } from '../components/status.js';
import { dayLabel, timeLabel } from './chat-time.js';
import { describeChatError } from './chat-errors.js';
import type { ConversationMessages } from './hooks.js';
import { isPageActive } from './hooks.js';
import { DownIcon } from './icons.js';
import { linkify, readBody, UNSUPPORTED_MESSAGE } from './message-body.js';
import { StatusTicks } from './status-ticks.js';
import { buildTimeline, isUnread, noteText } from './timeline.js';

/** Pixels from the bottom within which the log counts as "at the newest message". */
const BOTTOM_SLACK = 48;

const fullTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

/** A message's text with its http(s) links clickable; every piece is a text node. */
function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, index) =>
        part.kind === 'text' ? (
          part.text
        ) : (
          <a
            key={index}
            href={part.href}
            target="_blank"
            rel="noopener noreferrer nofollow"
            className="msg__link"
          >
            {part.text}
          </a>
        ),
      )}
    </>
  );
}

/** One message: sender (in groups), text, time, and the ticks of mine. */
function MessageBubble({
  client,
  message,
  senderName,
  showSender,
  recipients,
}: {
  client: SwitchboardClient;
  message: StoredMessage;
  senderName: string;
  showSender: boolean;
  recipients: number | undefined;
}) {
  const content = readBody(message.body);
  const unread = isUnread(message);
  const [retrying, setRetrying] = useState(false);
  return (
    <li
      className={`msg ${message.outgoing ? 'msg--out' : 'msg--in'}${showSender ? ' msg--first' : ''}`}
      data-unread={unread ? 'true' : undefined}
      data-sort-key={message.sortKey}
      data-status={message.status}
    >
      <div className="msg__bubble">
        {showSender ? (
          <p className="msg__sender">{senderName}</p>
        ) : (
          <span className="visually-hidden">{message.outgoing ? 'You' : senderName}: </span>
        )}
        {content.kind === 'text' ? (
          <p className="msg__text">
            <MessageText text={content.text} />
          </p>
        ) : (
          <p className="msg__unsupported">
            {UNSUPPORTED_MESSAGE}
            <span className="msg__unsupported-hint">
              {' '}
              · sent from an app that writes another format
            </span>
          </p>
        )}
        <p className="msg__meta">
          <time dateTime={new Date(message.ts).toISOString()} title={fullTime.format(message.ts)}>
            {timeLabel(message.ts)}
          </time>
          {message.outgoing && <StatusTicks message={message} recipients={recipients} />}
        </p>
        {message.status === 'failed' && (
          <p className="msg__failed">
            <span>{describeChatError(message.error ?? null)}</span>
            <button
              type="button"
              className="button button--ghost-danger button--small"
              disabled={retrying}
              onClick={() => {
                setRetrying(true);
                void client.retry(message.id).finally(() => setRetrying(false));
              }}
            >
              Retry
            </button>
          </p>
        )}
      </div>
    </li>
  );
}

/**
 * Sends read receipts for what is actually seen: an incoming message counts as read
 * once at least half of it (or half the log's height) is in view while the page is
 * visible and its window has the focus. An open conversation in a background tab reads
 * nothing until the user comes back to it.
 */
function useReadReceipts(
  scroller: RefObject<HTMLDivElement | null>,
  client: SwitchboardClient,
  conversationId: ConversationId,
  messages: readonly StoredMessage[],
): void {
  const visible = useRef(new Map<Element, string>());
  const marked = useRef('');

  useEffect(() => {
    marked.current = '';
  }, [conversationId]);

  const flush = useCallback(() => {
    if (!isPageActive()) return;
    let upTo = '';
    for (const sortKey of visible.current.values()) if (sortKey > upTo) upTo = sortKey;
    if (upTo === '' || upTo <= marked.current) return;
    marked.current = upTo;
    client.markRead(conversationId, { upTo }).catch(() => {
      marked.current = '';
    });
  }, [client, conversationId]);

  useEffect(() => {
    const root = scroller.current;
    if (root === null) return undefined;
    const seen = new Map<Element, string>();
    visible.current = seen;
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const sortKey = (entry.target as HTMLElement).dataset.sortKey;
          const rootHeight = entry.rootBounds?.height ?? Number.POSITIVE_INFINITY;
          const inView =
            entry.isIntersecting &&
            (entry.intersectionRatio >= 0.5 || entry.intersectionRect.height >= rootHeight / 2);
          if (inView && sortKey !== undefined) seen.set(entry.target, sortKey);
          else seen.delete(entry.target);
        }
        flush();
      },
      { root, threshold: [0, 0.5, 1] },
    );
    for (const element of root.querySelectorAll('[data-unread="true"]')) observer.observe(element);
    return () => observer.disconnect();
  }, [scroller, messages, flush]);

  useEffect(() => {
    document.addEventListener('visibilitychange', flush);
    window.addEventListener('focus', flush);
    return () => {
      document.removeEventListener('visibilitychange', flush);
      window.removeEventListener('focus', flush);
    };
  }, [flush]);
}

/**
 * A conversation's messages, grouped by day, oldest at the top: it opens at the first
 * unread message (or the newest), loads older history as the user scrolls up (keeping
 * what they look at in place), follows new messages while at the bottom and otherwise
 * offers a button to jump to them.
 */
export function MessageLog({
  client,
  conversationId,
  group,
  state,
  recipients,
  nameOf,
  me,
}: {
  client: SwitchboardClient;
  conversationId: ConversationId;
  group: boolean;
  state: ConversationMessages;
  recipients: number | undefined;
  nameOf: (userId: string) => string;
  me: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [newBelow, setNewBelow] = useState(0);
  const previous = useRef<{ first?: string; last?: string; height: number; ready: boolean }>({
    height: 0,
    ready: false,
  });
  const { messages, status, hasOlder, loadingOlder, loadOlder, firstUnreadKey } = state;

  const days = useMemo(
    () => buildTimeline(messages, { group, firstUnreadKey }),
    [messages, group, firstUnreadKey],
  );

  useReadReceipts(scroller, client, conversationId, messages);

  const toBottom = useCallback(() => {
    const el = scroller.current;
    if (el === null) return;
    el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setNewBelow(0);
  }, []);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null || status !== 'ready') return;
    const seen = previous.current;
    const first = messages[0]?.key;
    const last = messages.at(-1);
    if (!seen.ready) {
      seen.ready = true;
      const divider = el.querySelector<HTMLElement>('[data-unread-divider]');
      if (divider !== null) {
        el.scrollTop = Math.max(0, divider.offsetTop - 16);
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
      } else {
        toBottom();
      }
    } else if (
      seen.first !== undefined &&
      first !== seen.first &&
      messages.some((m) => m.key === seen.first)
    ) {
      // Older messages came in above: keep the ones on screen where they were.
      el.scrollTop += el.scrollHeight - seen.height;
    } else if (last !== undefined && last.key !== seen.last) {
      if (atBottom.current || last.outgoing) toBottom();
      else if (!last.outgoing) setNewBelow((n) => n + 1);
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    seen.first = first;
    seen.last = last?.key;
    seen.height = el.scrollHeight;
  }, [messages, status, toBottom]);

  // A phone's keyboard or a growing composer shrinks the log: stay at the newest message.
  useEffect(() => {
    const el = scroller.current;
    if (el === null) return undefined;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      previous.current.height = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const root = scroller.current;
    const target = sentinel.current;
    if (root === null || target === null || !hasOlder || loadingOlder || status !== 'ready') {
      return undefined;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) loadOlder();
      },
      { root, rootMargin: '600px 0px 0px 0px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasOlder, loadingOlder, status, loadOlder, messages.length]);

  const onScroll = () => {
    const el = scroller.current;
    if (el === null) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    if (atBottom.current && newBelow > 0) setNewBelow(0);
  };

  const now = Date.now();
  return (
    <div className="log-frame">
      <div
        ref={scroller}
        className="log"
        role="region"
        aria-label="Messages"
        // Focusable so that the keyboard can scroll it (arrows, Page Up/Down).
        tabIndex={0}
        onScroll={onScroll}
      >
        <div ref={sentinel} className="log__sentinel" aria-hidden="true" />
        {status === 'loading' && <Loading label="Loading messages…" />}
        {status === 'error' && (
          <p className="log__start" role="alert">
            {describeChatError(state.error)}
          </p>
        )}
        {loadingOlder && <Loading label="Loading older messages…" />}
        {status === 'ready' && !hasOlder && (
          <p className="log__start">
            {messages.length === 0
              ? 'No messages yet. Say hello!'
              : 'Messages are kept on your devices, not on the server.'}
          </p>
        )}
        {days.map((day) => (
          <div key={day.day} className="log__day">
            <h2 className="log__day-label">
              <span>{dayLabel(day.ts, now)}</span>
            </h2>
            <ol className="log__list">
              {day.entries.map((entry) => {
                switch (entry.kind) {
                  case 'unread':
                    return (
                      <li key="unread" className="log__unread" data-unread-divider="">
                        <span>
                          {entry.count === 1
                            ? '1 unread message'
                            : `${entry.count} unread messages`}
                        </span>
                      </li>
                    );
                  case 'note':
                    return (
                      <li key={entry.key} className="log__note">
                        <span>
                          {noteText(entry.change, (id) => (id === me ? 'you' : nameOf(id)), me)}
                        </span>
                      </li>
                    );
                  case 'message':
                    return (
                      <MessageBubble
                        key={entry.message.key}
                        client={client}
                        message={entry.message}
                        senderName={nameOf(entry.message.from.user)}
                        showSender={entry.showSender}
                        recipients={recipients}
                      />
                    );
                }
              })}
            </ol>
          </div>
        ))}
      </div>
      {newBelow > 0 && (
        <button
          type="button"
          className="log__jump button button--primary button--small"
          onClick={toBottom}
        >
          <DownIcon />
          {newBelow === 1 ? '1 new message' : `${newBelow} new messages`}
        </button>
      )}
    </div>
  );
}
