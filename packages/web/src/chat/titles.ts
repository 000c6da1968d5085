import type { ConversationId, ConversationSummary } from '@switchboard/sdk';
import type { ChatDirectory } from './directory.js';

/** What to call a person whose name is not known yet (offline, or being looked up). */
export const UNKNOWN_PERSON = 'Unknown person';

/** A person's name as the chat shows it; "You" for the signed-in user. */
export function personName(
  directory: ChatDirectory | null,
  userId: string,
  me: string,
  you = 'You',
): string {
  if (userId === me) return you;
  return directory?.nameOf(userId) ?? UNKNOWN_PERSON;
}

/**
 * A conversation's title: the other person's name, or the group's name (from its events,
 * else read from the server once). A note to self is named after me.
 */
export function conversationTitle(
  conversationId: ConversationId,
  summary: ConversationSummary | undefined,
  directory: ChatDirectory | null,
  me: { readonly userId: string; readonly username: string },
): string {
  if (conversationId.startsWith('user:')) {
    const userId = conversationId.slice('user:'.length);
    if (userId === me.userId) return `${me.username} (you)`;
    return directory?.nameOf(userId) ?? UNKNOWN_PERSON;
  }
  const groupId = conversationId.slice('group:'.length);
  const name = summary?.title ?? directory?.groupName(groupId) ?? null;
  if (name !== null) return name;
  if (!summary?.left) directory?.wantGroup(groupId);
  return 'Group';
}
