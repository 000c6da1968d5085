import type {
  ConversationId,
  ConversationSummary,
  PresenceState,
  StoredMessage,
  SwitchboardClient,
} from '@switchboard/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { prependMessages, upsertConversation, upsertMessage } from './conversation-lists.js';
import { isUnread } from './timeline.js';

/** The conversation list, most recent first, kept up to date; null while it loads. */
export function useConversations(client: SwitchboardClient | null): ConversationSummary[] | null {
  const [list, setList] = useState<ConversationSummary[] | null>(null);
  useEffect(() => {
    if (client === null) return undefined;
    let loaded = false;
    let early: ConversationSummary[] = [];
    const off = client.on('conversation', (summary) => {
      if (!loaded) early.push(summary);
      else setList((current) => upsertConversation(current ?? [], summary));
    });
    client.conversations().then(
      (all) => {
        loaded = true;
        setList(early.reduce(upsertConversation, all));
        early = [];
      },
      () => {
        loaded = true;
        setList((current) => current ?? []);
      },
    );
    return off;
  }, [client]);
  return list;
}

/** One conversation's summary, kept up to date; undefined when it does not exist (yet). */
export function useConversationSummary(
  client: SwitchboardClient | null,
  conversationId: ConversationId,
): ConversationSummary | undefined {
  const [summary, setSummary] = useState<ConversationSummary | undefined>(undefined);
  useEffect(() => {
    setSummary(undefined);
    if (client === null) return undefined;
    let fresh = false;
    const off = client.on('conversation', (next) => {
      if (next.conversationId !== conversationId) return;
      fresh = true;
      setSummary(next);
    });
    void client.conversation(conversationId).then(
      (found) => {
        if (!fresh) setSummary(found);
      },
      () => undefined,
    );
    return off;
  }, [client, conversationId]);
  return summary;
}

/** The loaded part of a conversation and how to load more of it. */
export interface ConversationMessages {
  readonly status: 'loading' | 'ready' | 'error';
  readonly messages: readonly StoredMessage[];
  /** The first message that was unread when the conversation opened (for the divider). */
  readonly firstUnreadKey: string | null;
  readonly hasOlder: boolean;
  readonly loadingOlder: boolean;
  readonly error: unknown;
  /** Loads the page before the oldest loaded message. */
  readonly loadOlder: () => void;
}

const PAGE = 50;
/** The most a conversation opens with, to reach its first unread message. */
const FIRST_PAGE_MAX = 1_000;

/**
 * A conversation's messages from the local history: the newest page (enough to include
 * the first unread message), older pages on demand, and every new message and status
 * change as it happens.
 */
export function useConversationMessages(
  client: SwitchboardClient | null,
  conversationId: ConversationId,
): ConversationMessages {
  const [state, setState] = useState<Omit<ConversationMessages, 'loadOlder'>>({
    status: 'loading',
    messages: [],
    firstUnreadKey: null,
    hasOlder: false,
    loadingOlder: false,
    error: null,
  });
  const cursor = useRef<string | null>(null);
  const loadingOlder = useRef(false);

  useEffect(() => {
    setState({
      status: 'loading',
      messages: [],
      firstUnreadKey: null,
      hasOlder: false,
      loadingOlder: false,
      error: null,
    });
    cursor.current = null;
    loadingOlder.current = false;
    if (client === null) return undefined;
    let loaded = false;
    let early: StoredMessage[] = [];
    let cancelled = false;
    const onMessage = (message: StoredMessage) => {
      if (message.conversationId !== conversationId) return;
      if (!loaded) early.push(message);
      else setState((s) => ({ ...s, messages: upsertMessage(s.messages, message) }));
    };
    // Group changes are stored in the history too, but reported as `group` events: read
    // the newest records again to pick them up.
    const onGroup = (event: { groupId: string }) => {
      if (conversationId !== `group:${event.groupId}`) return;
      void client.history(conversationId, { limit: 10 }).then((page) => {
        if (cancelled) return;
        if (!loaded) early.push(...page.messages);
        else setState((s) => ({ ...s, messages: page.messages.reduce(upsertMessage, s.messages) }));
      });
    };
    const offs = [
      client.on('message', onMessage),
      client.on('status', onMessage),
      client.on('group', onGroup),
    ];
    void (async () => {
      try {
        const summary = await client.conversation(conversationId);
        const limit = Math.min(FIRST_PAGE_MAX, Math.max(PAGE, (summary?.unread ?? 0) + 20));
        const page = await client.history(conversationId, { limit });
        if (cancelled) return;
        loaded = true;
        const messages = early.reduce(upsertMessage, page.messages);
        early = [];
        cursor.current = page.nextCursor;
        setState({
          status: 'ready',
          messages,
          firstUnreadKey: messages.find(isUnread)?.key ?? null,
          hasOlder: page.nextCursor !== null,
          loadingOlder: false,
          error: null,
        });
      } catch (error) {
        if (!cancelled) setState((s) => ({ ...s, status: 'error', error }));
      }
    })();
    return () => {
      cancelled = true;
      for (const off of offs) off();
    };
  }, [client, conversationId]);

  const loadOlder = useCallback(() => {
    const before = cursor.current;
    if (client === null || before === null || loadingOlder.current) return;
    loadingOlder.current = true;
    setState((s) => ({ ...s, loadingOlder: true }));
    client.history(conversationId, { before, limit: PAGE }).then(
      (page) => {
        // A conversation switched meanwhile has its own cursor.
        if (cursor.current !== before) return;
        cursor.current = page.nextCursor;
        loadingOlder.current = false;
        setState((s) => ({
          ...s,
          messages: prependMessages(s.messages, page.messages),
          hasOlder: page.nextCursor !== null,
          loadingOlder: false,
        }));
      },
      (error: unknown) => {
        loadingOlder.current = false;
        setState((s) => ({ ...s, loadingOlder: false, error }));
      },
    );
  }, [client, conversationId]);

  return { ...state, loadOlder };
}

/**
 * A contact's presence: what the server pushes, and what it answers when asked (once
 * per connection, for the last-seen time of a contact who is offline).
 */
export function usePresence(
  client: SwitchboardClient | null,
  userId: string | null,
  connected: boolean,
): PresenceState | undefined {
  const [presence, setPresence] = useState<PresenceState | undefined>(undefined);
  useEffect(() => {
    if (client === null || userId === null) {
      setPresence(undefined);
      return undefined;
    }
    setPresence(client.presenceOf(userId));
    let pushed = false;
    const off = client.on('presence', (next) => {
      if (next.user !== userId) return;
      pushed = true;
      setPresence(next);
    });
    if (connected) {
      client.users.presence(userId).then(
        (answer) => {
          if (!pushed) setPresence(answer);
        },
        // Not a contact yet (no message exchanged): nothing to show.
        () => undefined,
      );
    }
    return off;
  }, [client, userId, connected]);
  return presence;
}

/** Who is typing in a conversation now. */
export function useTyping(
  client: SwitchboardClient | null,
  conversationId: ConversationId,
): string[] {
  const [typing, setTyping] = useState<string[]>([]);
  useEffect(() => {
    if (client === null) {
      setTyping([]);
      return undefined;
    }
    setTyping(client.typingIn(conversationId));
    return client.on('typing', (event) => {
      if (event.conversationId === conversationId) setTyping(client.typingIn(conversationId));
    });
  }, [client, conversationId]);
  return typing;
}

/** Conversations where someone is typing now (for the list). */
export function useTypingAnywhere(client: SwitchboardClient | null): ReadonlySet<string> {
  const [typing, setTyping] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (client === null) return undefined;
    return client.on('typing', (event) => {
      const someone = client.typingIn(event.conversationId).length > 0;
      setTyping((current) => {
        if (current.has(event.conversationId) === someone) return current;
        const next = new Set(current);
        if (someone) next.add(event.conversationId);
        else next.delete(event.conversationId);
        return next;
      });
    });
  }, [client]);
  return typing;
}

/** The time now, renewed every `intervalMs` (for "last seen" and list times). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** True while the page is visible and its window has the focus: someone is looking. */
export function isPageActive(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

/** `isPageActive()`, re-rendering when it changes. */
export function usePageActive(): boolean {
  const [active, setActive] = useState(isPageActive);
  useEffect(() => {
    const update = () => setActive(isPageActive());
    document.addEventListener('visibilitychange', update);
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    update();
    return () => {
      document.removeEventListener('visibilitychange', update);
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
    };
  }, []);
  return active;
}
