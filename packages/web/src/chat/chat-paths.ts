import type { ConversationId } from '@switchboard/sdk';

/** The chat's own paths: `/chat`, then one per conversation. */
export const CHAT_PATH = '/chat';

/** The address of a conversation's screen: `/chat/user/<id>` or `/chat/group/<id>`. */
export function conversationPath(conversationId: ConversationId): string {
  const [kind, ...rest] = conversationId.split(':');
  return `${CHAT_PATH}/${kind}/${encodeURIComponent(rest.join(':'))}`;
}

/**
 * The conversation a path's segments name, or null for anything else. Ids are opaque
 * server strings of 1 to 64 characters; the path is typed by people, so it is checked.
 */
export function conversationOfPath(kind: string, id: string): ConversationId | null {
  if (kind !== 'user' && kind !== 'group') return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(id);
  } catch {
    return null;
  }
  if (decoded.length === 0 || decoded.length > 64 || /[\s/]/.test(decoded)) return null;
  return `${kind}:${decoded}`;
}
