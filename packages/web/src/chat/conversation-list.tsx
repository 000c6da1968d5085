import type { ConversationId, ConversationSummary } from '@switchboard/sdk';
import { useDeferredValue, useState } from 'react';
import { Link } from 'wouter';
import type { Session } from '../api/session.js';
import { Loading } from '../components/status.js';
import { Avatar } from './avatar.js';
import { conversationPath } from './chat-paths.js';
import { listTimeLabel } from './chat-time.js';
import type { ChatDirectory } from './directory.js';
import { useNow, useTypingAnywhere } from './hooks.js';
import { SearchIcon } from './icons.js';
import { previewOf } from './message-body.js';
import { StatusTicks } from './status-ticks.js';
import { noteText, readGroupChange } from './timeline.js';
import { conversationTitle, personName } from './titles.js';
import type { SwitchboardClient } from '@switchboard/sdk';

/** The last line of a conversation as its row shows it. */
function preview(
  summary: ConversationSummary,
  directory: ChatDirectory | null,
  me: string,
): { who: string | null; text: string } {
  const last = summary.lastMessage;
  if (last === undefined) {
    if (summary.left === true) return { who: null, text: 'You are no longer a member' };
    return { who: null, text: summary.kind === 'group' ? 'Group created' : 'No messages yet' };
  }
  const change = readGroupChange(last);
  if (change !== null) {
    return { who: null, text: noteText(change, (id) => personName(directory, id, me, 'you'), me) };
  }
  const text = previewOf(last.body, 80);
  if (last.outgoing) return { who: 'You', text };
  if (summary.kind === 'group') return { who: personName(directory, last.from.user, me), text };
  return { who: null, text };
}

/**
 * The conversations of this account, most recent activity first, as links: title, time
 * of the last activity, the last message (or "typing…"), its ticks when mine, and the
 * unread count. A filter narrows the list by name.
 */
export function ConversationList({
  conversations,
  client,
  directory,
  session,
  active,
}: {
  /** The list from `useConversations`; null while it loads. */
  conversations: ConversationSummary[] | null;
  client: SwitchboardClient | null;
  directory: ChatDirectory | null;
  session: Session;
  active: ConversationId | null;
}) {
  const typing = useTypingAnywhere(client);
  const now = useNow(60_000);
  const [filter, setFilter] = useState('');
  const query = useDeferredValue(filter.trim().toLocaleLowerCase());

  if (conversations === null) return <Loading label="Loading chats…" />;

  const rows = conversations.map((summary) => ({
    summary,
    title: conversationTitle(summary.conversationId, summary, directory, session),
  }));
  const shown =
    query === '' ? rows : rows.filter((row) => row.title.toLocaleLowerCase().includes(query));

  return (
    <div className="conversations">
      {conversations.length > 0 && (
        <div className="conversations__search">
          <label className="visually-hidden" htmlFor="chat-filter">
            Search chats
          </label>
          <span className="conversations__search-icon" aria-hidden="true">
            <SearchIcon />
          </span>
          <input
            id="chat-filter"
            className="input conversations__search-input"
            type="search"
            placeholder="Search chats"
            autoComplete="off"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        </div>
      )}
      {conversations.length === 0 && (
        <div className="conversations__empty">
          <p className="conversations__empty-title">No chats yet</p>
          <p className="muted">Start a chat with someone by their username, or create a group.</p>
        </div>
      )}
      {conversations.length > 0 && shown.length === 0 && (
        <p className="conversations__none muted">No chat matches “{filter.trim()}”.</p>
      )}
      <ul className="conversations__list" aria-label="Conversations">
        {shown.map(({ summary, title }) => {
          const { who, text } = preview(summary, directory, session.userId);
          const last = summary.lastMessage;
          const isTyping = typing.has(summary.conversationId);
          return (
            <li key={summary.conversationId}>
              <Link
                href={conversationPath(summary.conversationId)}
                className="conversation-row"
                aria-current={active === summary.conversationId ? 'page' : undefined}
              >
                <Avatar id={summary.conversationId} name={title} />
                <span className="conversation-row__body">
                  <span className="conversation-row__top">
                    <span className="conversation-row__title">{title}</span>
                    {summary.lastActivity > 0 && (
                      <time
                        className="conversation-row__time"
                        dateTime={new Date(summary.lastActivity).toISOString()}
                      >
                        {listTimeLabel(summary.lastActivity, now)}
                      </time>
                    )}
                  </span>
                  <span className="conversation-row__bottom">
                    <span className="conversation-row__preview">
                      {isTyping ? (
                        <span className="conversation-row__typing">typing…</span>
                      ) : (
                        <>
                          {last?.outgoing === true && last.kind !== 'event' && (
                            <StatusTicks message={last} />
                          )}
                          {who !== null && <span className="conversation-row__who">{who}: </span>}
                          {text}
                        </>
                      )}
                    </span>
                    {summary.unread > 0 && (
                      <span className="conversation-row__unread">
                        <span aria-hidden="true">
                          {summary.unread > 999 ? '999+' : summary.unread}
                        </span>
                        <span className="visually-hidden">
                          {summary.unread === 1
                            ? ', 1 unread message'
                            : `, ${summary.unread} unread messages`}
                        </span>
                      </span>
                    )}
                  </span>
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
