import { useLocation } from 'wouter';
import { NotFoundScreen } from '../screens/not-found-screen.js';
import { CHAT_PATH, conversationOfPath } from './chat-paths.js';
import { ChatScreen } from './chat-screen.js';

/**
 * The chat's paths (`focusHeading`: the user navigated here, and the code arrived after
 * the shell had looked for a heading to focus): `/chat` (the list) and `/chat/user/<id>` or `/chat/group/<id>` (a
 * conversation). One component for all of them, so that moving between conversations
 * keeps the list as it is instead of building it again.
 */
export function ChatRoutes({ focusHeading = false }: { focusHeading?: boolean }) {
  const [path] = useLocation();
  if (path === CHAT_PATH || path === `${CHAT_PATH}/`) {
    return <ChatScreen conversationId={null} focusHeading={focusHeading} />;
  }
  const match = /^\/chat\/([^/]+)\/([^/]+)\/?$/.exec(path);
  const conversationId = match === null ? null : conversationOfPath(match[1]!, match[2]!);
  if (conversationId === null) return <NotFoundScreen />;
  return <ChatScreen conversationId={conversationId} focusHeading={focusHeading} />;
}
