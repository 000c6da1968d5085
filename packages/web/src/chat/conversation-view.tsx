import type { ConversationId, SwitchboardClient } from '@switchboard/sdk';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'wouter';
import type { Session } from '../api/session.js';
import { Avatar } from './avatar.js';
import { useChat, useChatRuntime, useDirectory } from './chat-context.js';
import { CHAT_PATH } from './chat-paths.js';
import { presenceLabel } from './chat-time.js';
import { Composer } from './composer.js';
import { ContactInfoDialog } from './contact-info-dialog.js';
import { GroupInfoDialog } from './group-info-dialog.js';
import {
  useConversationMessages,
  useConversationSummary,
  useNow,
  usePresence,
  useTyping,
} from './hooks.js';
import { BackIcon, InfoIcon } from './icons.js';
import { previewOf } from './message-body.js';
import { MessageLog } from './message-log.js';
import { isUnread } from './timeline.js';
import { conversationTitle, personName } from './titles.js';

/** "Alice is typing…", "Alice and Bob are typing…", "3 people are typing…". */
function typingText(names: readonly string[], group: boolean): string {
  if (!group) return 'typing…';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/**
 * One conversation: its header (title, presence or typing, group info), the message log
 * and the composer. The page's `h1` is the conversation's title.
 */
export function ConversationView({
  client,
  conversationId,
  session,
}: {
  client: SwitchboardClient;
  conversationId: ConversationId;
  session: Session;
}) {
  const chat = useChat();
  const runtime = useChatRuntime();
  const directory = useDirectory();
  const summary = useConversationSummary(client, conversationId);
  const state = useConversationMessages(client, conversationId);
  const group = conversationId.startsWith('group:');
  const groupId = group ? conversationId.slice('group:'.length) : null;
  const peer = group ? null : conversationId.slice('user:'.length);
  // Presence is for contacts (people who exchanged a message): asked again once they are.
  const presence = usePresence(
    client,
    peer === null || peer === session.userId ? null : peer,
    chat.connection === 'online' && summary?.lastMessage !== undefined,
  );
  const typing = useTyping(client, conversationId);
  const now = useNow(30_000);
  const [infoOpen, setInfoOpen] = useState(false);
  const missing = peer !== null && directory?.isMissing(peer) === true;
  const [heard, setHeard] = useState('');
  const composer = useRef<HTMLTextAreaElement>(null);
  const left = summary?.left === true;
  const title = conversationTitle(conversationId, summary, directory, session);
  const details = groupId === null ? undefined : directory?.group(groupId);

  // The group's members give the ticks their meaning ("read by everyone").
  useEffect(() => {
    if (groupId !== null && !left) directory?.wantGroup(groupId);
  }, [directory, groupId, left]);

  // This conversation is on screen: no notifications for it while the tab is visible.
  useEffect(() => {
    const { notifier } = runtime;
    notifier.inView = conversationId;
    notifier.dismiss(conversationId);
    return () => {
      if (notifier.inView === conversationId) notifier.inView = null;
    };
  }, [runtime, conversationId]);

  // With a mouse at hand, open ready to type (on a phone the keyboard would cover the log).
  useEffect(() => {
    if (!window.matchMedia('(pointer: fine)').matches) return undefined;
    const frame = requestAnimationFrame(() => composer.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, [conversationId]);

  // New messages are read out to screen readers as they come, without moving focus.
  useEffect(
    () =>
      client.on('message', (message) => {
        if (message.conversationId !== conversationId || !isUnread(message)) return;
        const who = personName(directory, message.from.user, session.userId);
        setHeard(`${who}: ${previewOf(message.body, 300)}`);
      }),
    [client, conversationId, directory, session.userId],
  );

  const nameOf = useMemo(
    () => (userId: string) => personName(directory, userId, session.userId),
    // The directory object stays the same while names change: its version says when.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [directory, session.userId, directory?.version],
  );
  let subtitle: string | null;
  if (typing.length > 0) {
    subtitle = typingText(
      typing.map((id) => nameOf(id)),
      group,
    );
  } else if (group) {
    subtitle = left
      ? 'You are no longer a member'
      : details === undefined
        ? null
        : details.members
            .map((m) => (m.userId === session.userId ? 'You' : nameOf(m.userId)))
            .sort((a, b) => (a === 'You' ? 1 : b === 'You' ? -1 : a.localeCompare(b)))
            .join(', ');
  } else if (peer === session.userId) {
    subtitle = 'Notes to yourself, on all your devices';
  } else {
    subtitle = presenceLabel(presence, now);
  }

  return (
    <div className="conversation">
      <header className="conversation__header">
        <Link
          href={CHAT_PATH}
          className="icon-button conversation__back"
          aria-label="Back to chats"
        >
          <BackIcon />
        </Link>
        <Avatar id={conversationId} name={title} />
        <div className="conversation__heading">
          <h1 className="conversation__title" tabIndex={-1}>
            {title}
          </h1>
          {subtitle !== null && (
            <p
              className={`conversation__subtitle${typing.length > 0 ? ' conversation__subtitle--typing' : ''}`}
            >
              {subtitle}
            </p>
          )}
        </div>
        {(group || (peer !== session.userId && !missing)) && (
          <button
            type="button"
            className="icon-button"
            aria-label={group ? 'Group info' : 'Contact info'}
            title={group ? 'Group info' : 'Contact info'}
            onClick={() => setInfoOpen(true)}
          >
            <InfoIcon />
          </button>
        )}
      </header>
      <MessageLog
        client={client}
        conversationId={conversationId}
        group={group}
        state={state}
        recipients={details === undefined ? undefined : Math.max(0, details.members.length - 1)}
        nameOf={nameOf}
        me={session.userId}
      />
      {missing && state.messages.length === 0 ? (
        <p className="conversation__left">
          There is no account at this address. Start a chat by username instead.
        </p>
      ) : left ? (
        <p className="conversation__left">
          You are no longer a member of this group: you can read what you have, but not write.
        </p>
      ) : (
        <Composer
          key={conversationId}
          client={client}
          conversationId={conversationId}
          title={title}
          drafts={runtime.drafts}
          inputRef={composer}
        />
      )}
      <div className="visually-hidden" aria-live="polite">
        {heard}
      </div>
      {infoOpen && peer !== null && (
        <ContactInfoDialog
          client={client}
          session={session}
          userId={peer}
          presence={presence}
          onClose={() => setInfoOpen(false)}
        />
      )}
      {infoOpen && groupId !== null && (
        <GroupInfoDialog
          client={client}
          directory={directory}
          session={session}
          groupId={groupId}
          left={left}
          onClose={() => setInfoOpen(false)}
        />
      )}
    </div>
  );
}
