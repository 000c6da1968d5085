import type { StoredMessage } from '@switchboard/sdk';

/** What decides whether a new message deserves a desktop notification. */
export interface NotifyContext {
  /** `Notification.permission`, or `unsupported` where the API is missing. */
  readonly permission: NotificationPermission | 'unsupported';
  /** The user's own switch in the chat screen (on by default once permission is granted). */
  readonly enabled: boolean;
  /** `document.visibilityState === 'visible'`. */
  readonly visible: boolean;
  /** `document.hasFocus()`. */
  readonly focused: boolean;
  /** The conversation on screen, if any. */
  readonly inView: string | null;
}

/**
 * True when a message should raise a desktop notification: someone else's new message,
 * while the tab is in the background (hidden, or the window has not got the focus), and
 * never for the conversation the user is looking at in a visible tab.
 */
export function shouldNotify(
  message: Pick<StoredMessage, 'outgoing' | 'conversationId' | 'status' | 'kind'>,
  context: NotifyContext,
): boolean {
  if (message.outgoing || message.status !== 'received' || message.kind === 'event') return false;
  if (context.permission !== 'granted' || !context.enabled) return false;
  if (context.visible && context.focused) return false;
  if (context.visible && context.inView === message.conversationId) return false;
  return true;
}
