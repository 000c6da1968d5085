import type { ConversationId } from '@switchboard/sdk';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { useSession, type Session } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { Loading } from '../components/status.js';
import './chat.css';
import { useChat, useChatRuntime, useDirectory, useNotifications } from './chat-context.js';
import { CHAT_PATH } from './chat-paths.js';
import { ConnectionBanner } from './connection-banner.js';
import { connectionView } from './connection-view.js';
import { ConversationList } from './conversation-list.js';
import { ConversationView } from './conversation-view.js';
import { useConversations } from './hooks.js';
import { BellIcon, NewChatIcon, NewGroupIcon } from './icons.js';
import { NewChatDialog, NewGroupDialog } from './new-chat-dialogs.js';
import { conversationTitle } from './titles.js';

/**
 * The switch for desktop notifications. The browser's permission is asked only here,
 * from the click, never on page load.
 */
function NotificationsButton() {
  const runtime = useChatRuntime();
  const announce = useAnnounce();
  const state = useNotifications();
  if (state.permission === 'unsupported') return null;
  const label =
    state.permission === 'denied'
      ? 'Desktop notifications are blocked in this browser’s site settings'
      : state.enabled
        ? 'Desktop notifications are on'
        : 'Desktop notifications are off';
  return (
    <button
      type="button"
      className="icon-button"
      aria-label="Desktop notifications"
      aria-pressed={state.enabled}
      title={label}
      onClick={() => {
        if (state.permission === 'denied') {
          announce(
            'Notifications are blocked: allow them in this browser’s site settings.',
            'error',
          );
        } else if (state.enabled) {
          runtime.notifier.disable();
          announce('Desktop notifications off', 'info');
        } else {
          void runtime.notifier
            .enable()
            .then((next) =>
              announce(
                next.enabled
                  ? 'Desktop notifications on: you will hear of new messages while this tab is in the background'
                  : 'Desktop notifications were not allowed',
                next.enabled ? 'success' : 'info',
              ),
            );
        }
      }}
    >
      <BellIcon off={!state.enabled} />
    </button>
  );
}

/**
 * The chat: the conversation list beside the open conversation on a wide screen, one or
 * the other on a phone (with a back button). Starting it connects this tab's chat.
 */
export function ChatScreen({
  conversationId,
  focusHeading = false,
}: {
  conversationId: ConversationId | null;
  /** Focus the heading on first display, as the shell does after a navigation. */
  focusHeading?: boolean;
}) {
  const session = useSession();
  const runtime = useChatRuntime();
  const chat = useChat();
  const directory = useDirectory();
  const [dialog, setDialog] = useState<'chat' | 'group' | null>(null);

  useEffect(() => runtime.screenMounted(), [runtime]);

  // Once, on first display: later navigations are the shell's.
  const focusOnMount = useRef(focusHeading);
  useEffect(() => {
    if (focusOnMount.current && document.activeElement === document.body) {
      document.querySelector<HTMLElement>('main h1')?.focus();
    }
  }, []);

  const client = chat.client;
  const conversations = useConversations(client);
  const unread = conversations?.reduce((sum, c) => sum + c.unread, 0) ?? 0;
  const summary = conversations?.find((c) => c.conversationId === conversationId);
  const title =
    conversationId === null || session === null
      ? 'Chats'
      : conversationTitle(conversationId, summary, directory, session);

  // The tab's title counts unread messages, as a tab in the background shows it.
  useEffect(() => {
    document.title = `${unread > 0 ? `(${unread}) ` : ''}${title} · Switchboard`;
  }, [unread, title]);

  if (session === null) return null;
  const Heading = conversationId === null ? 'h1' : 'h2';
  return (
    <div
      className={`chat ${conversationId === null ? 'chat--list' : 'chat--open'}`}
      // The connection's state, for styles and for tests that wait for it.
      data-connection={connectionView(chat)}
    >
      <ConnectionBanner />
      <div className="chat__panes">
        <section className="chat__sidebar" aria-labelledby="chats-title">
          <div className="chat__sidebar-header">
            <Heading id="chats-title" className="chat__sidebar-title" tabIndex={-1}>
              Chats
            </Heading>
            <div className="chat__sidebar-actions">
              <NotificationsButton />
              <button
                type="button"
                className="icon-button"
                aria-label="New group"
                title="New group"
                disabled={client === null}
                onClick={() => setDialog('group')}
              >
                <NewGroupIcon />
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label="New chat"
                title="New chat"
                disabled={client === null}
                onClick={() => setDialog('chat')}
              >
                <NewChatIcon />
              </button>
            </div>
          </div>
          {client !== null ? (
            <ConversationList
              conversations={conversations}
              client={client}
              directory={directory}
              session={session}
              active={conversationId}
            />
          ) : (
            <ChatUnavailable session={session} />
          )}
        </section>
        <div className="chat__pane">
          {conversationId !== null && client !== null && (
            <ConversationView
              key={conversationId}
              client={client}
              conversationId={conversationId}
              session={session}
            />
          )}
          {conversationId !== null && client === null && (
            <div className="chat__placeholder">
              <h1 className="chat__placeholder-title" tabIndex={-1}>
                Chat
              </h1>
              <ChatUnavailable session={session} />
              <Link href={CHAT_PATH} className="button button--secondary conversation__back-text">
                Back to chats
              </Link>
            </div>
          )}
          {conversationId === null && (
            <div className="chat__placeholder">
              <p className="chat__placeholder-title">Pick a chat</p>
              <p className="muted">
                Choose a conversation on the left, or start a new one. Messages are kept on your
                devices: the server only holds them until they are delivered.
              </p>
            </div>
          )}
        </div>
      </div>
      {dialog === 'chat' && client !== null && (
        <NewChatDialog client={client} directory={directory} onClose={() => setDialog(null)} />
      )}
      {dialog === 'group' && client !== null && (
        <NewGroupDialog
          client={client}
          directory={directory}
          session={session}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}

/** What the list area says while this tab has no chat client. */
function ChatUnavailable({ session }: { session: Session }) {
  const chat = useChat();
  if (chat.phase === 'elsewhere') {
    return (
      <p className="chat__unavailable muted">
        Chat for {session.username} is open in another tab or window of this browser.
      </p>
    );
  }
  if (chat.phase === 'failed') {
    return <p className="chat__unavailable muted">Chat is not available right now.</p>;
  }
  return <Loading label="Opening your chats…" />;
}
