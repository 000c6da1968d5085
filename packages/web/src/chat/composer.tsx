import type { ConversationId, SwitchboardClient } from '@switchboard/sdk';
import { MESSAGE_BODY_MAX_BYTES } from '@switchboard/shared';
import {
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from 'react';
import { describeChatError } from './chat-errors.js';
import { SendIcon } from './icons.js';
import { textBody } from './message-body.js';

/** A stop is sent after this long without a keystroke, though the text stays. */
const TYPING_IDLE_MS = 5_000;
/** The composer grows with its text up to about eight lines, then scrolls. */
const MAX_HEIGHT_PX = 180;

/** Bytes a text takes as the JSON body the app sends (the server's limit is on that). */
export function bodyBytes(text: string): number {
  return new TextEncoder().encode(JSON.stringify(textBody(text))).length;
}

/**
 * Where a message is written: Enter sends, Shift+Enter starts a new line (and an input
 * method's Enter still picks its word). It tells the conversation while the user types,
 * keeps a draft per conversation, and refuses a message over the size limit before the
 * server would.
 */
export function Composer({
  client,
  conversationId,
  title,
  drafts,
  inputRef,
}: {
  client: SwitchboardClient;
  conversationId: ConversationId;
  title: string;
  drafts: Map<string, string>;
  inputRef: RefObject<HTMLTextAreaElement | null>;
}) {
  const [text, setText] = useState(() => drafts.get(conversationId) ?? '');
  const [error, setError] = useState<string | null>(null);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const hintId = useId();
  const errorId = useId();

  useEffect(
    () => () => {
      clearTimeout(idle.current);
      client.setTyping(conversationId, false);
    },
    [client, conversationId],
  );

  useLayoutEffect(() => {
    const el = inputRef.current;
    if (el === null) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight + 2, MAX_HEIGHT_PX)}px`;
  }, [text, inputRef]);

  const change = (value: string) => {
    setText(value);
    setError(null);
    if (value === '') drafts.delete(conversationId);
    else drafts.set(conversationId, value);
    const typing = value.trim() !== '';
    client.setTyping(conversationId, typing);
    clearTimeout(idle.current);
    if (typing)
      idle.current = setTimeout(() => client.setTyping(conversationId, false), TYPING_IDLE_MS);
  };

  const send = async () => {
    const message = text.trim();
    if (message === '') return;
    if (bodyBytes(message) > MESSAGE_BODY_MAX_BYTES) {
      setError('This message is too long to send. Split it into several.');
      return;
    }
    clearTimeout(idle.current);
    client.setTyping(conversationId, false);
    setText('');
    drafts.delete(conversationId);
    try {
      // Stored in the outbox first: it goes out now, or once the connection is back.
      await client.send(conversationId, textBody(message));
    } catch (failure) {
      setText(message);
      drafts.set(conversationId, message);
      setError(describeChatError(failure));
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    void send();
  };

  const bytes = bodyBytes(text);
  const nearLimit = bytes > MESSAGE_BODY_MAX_BYTES * 0.9;
  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      {error !== null && (
        <p id={errorId} className="composer__error" role="alert">
          {error}
        </p>
      )}
      {nearLimit && error === null && (
        <p className="composer__limit" aria-live="polite">
          {bytes > MESSAGE_BODY_MAX_BYTES
            ? 'Too long to send: shorten it or split it into several messages.'
            : `${(MESSAGE_BODY_MAX_BYTES - bytes).toLocaleString()} characters left`}
        </p>
      )}
      <div className="composer__row">
        <textarea
          ref={inputRef}
          className="input composer__input"
          rows={1}
          aria-label={`Message ${title}`}
          aria-describedby={error === null ? hintId : `${errorId} ${hintId}`}
          aria-invalid={error === null ? undefined : true}
          placeholder="Write a message"
          enterKeyHint="send"
          value={text}
          onChange={(e) => change(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={() => client.setTyping(conversationId, false)}
        />
        <button
          type="submit"
          className="composer__send"
          aria-label="Send"
          title="Send (Enter)"
          disabled={text.trim() === ''}
        >
          <SendIcon />
        </button>
      </div>
      <p id={hintId} className="visually-hidden">
        Enter sends. Shift and Enter starts a new line.
      </p>
    </form>
  );
}
