import type { ConversationId, StoredMessage } from '@switchboard/sdk';
import { shouldNotify } from './notify-policy.js';

const PREFERENCE_KEY = 'switchboard.chat.notifications';

/** Where desktop notifications stand, for the switch in the chat screen. */
export interface NotificationsState {
  /** `unsupported` where the browser has no Notifications API. */
  readonly permission: NotificationPermission | 'unsupported';
  /** On when permitted and not switched off here. */
  readonly enabled: boolean;
}

/** What a notification needs to say: who wrote, where, and where a click goes. */
export interface NotificationText {
  readonly title: string;
  readonly body: string;
  readonly onOpen: () => void;
}

/**
 * Desktop notifications for new messages while the tab is in the background. Permission
 * is asked only from a click (`enable`), as browsers require and people expect; after
 * that the user can still switch them off here without going to the browser settings.
 */
export class ChatNotifier {
  readonly #listeners = new Set<() => void>();
  readonly #shown = new Map<string, Notification>();
  #state: NotificationsState = this.#read();
  /** The conversation on screen (null: the list, or another part of the app). */
  inView: ConversationId | null = null;

  /** The current state (a stable object between changes). */
  get state(): NotificationsState {
    return this.#state;
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks for permission if need be (call from a click) and switches notifications on. */
  async enable(): Promise<NotificationsState> {
    const api = notificationApi();
    if (api === undefined) return this.#state;
    store('on');
    if (api.permission === 'default') await api.requestPermission();
    this.#update();
    return this.#state;
  }

  /** Switches notifications off in this app (the browser's permission stays). */
  disable(): void {
    store('off');
    this.#update();
  }

  /** True when `message` deserves a notification now (the tab, the permission, the switch). */
  wants(message: StoredMessage): boolean {
    this.#update();
    if (notificationApi() === undefined) return false;
    return shouldNotify(message, {
      permission: this.#state.permission,
      enabled: this.#state.enabled,
      visible: document.visibilityState === 'visible',
      focused: document.hasFocus(),
      inView: this.inView,
    });
  }

  /** Shows a notification for a message (`wants` said yes). */
  show(message: StoredMessage, { title, body, onOpen }: NotificationText): void {
    const api = notificationApi();
    if (api === undefined) return;
    try {
      // One notification per conversation: a newer message replaces the older one.
      const notification = new api(title, {
        body,
        tag: message.conversationId,
        icon: '/favicon.svg',
      });
      this.#shown.set(message.conversationId, notification);
      notification.onclick = () => {
        window.focus();
        onOpen();
        notification.close();
      };
      notification.onclose = () => {
        if (this.#shown.get(message.conversationId) === notification) {
          this.#shown.delete(message.conversationId);
        }
      };
    } catch {
      // Some browsers only allow notifications from a service worker: nothing to show.
    }
  }

  /** Closes the notification of a conversation the user is now looking at. */
  dismiss(conversationId: ConversationId): void {
    this.#shown.get(conversationId)?.close();
    this.#shown.delete(conversationId);
  }

  /** Reads the permission again (the user may have changed it in the browser). */
  refresh(): void {
    this.#update();
  }

  #update(): void {
    const next = this.#read();
    if (next.permission === this.#state.permission && next.enabled === this.#state.enabled) return;
    this.#state = next;
    for (const listener of this.#listeners) listener();
  }

  #read(): NotificationsState {
    const api = notificationApi();
    if (api === undefined) return { permission: 'unsupported', enabled: false };
    const permission = api.permission;
    return { permission, enabled: permission === 'granted' && preference() !== 'off' };
  }
}

function notificationApi(): typeof Notification | undefined {
  return typeof window !== 'undefined' && 'Notification' in window
    ? window.Notification
    : undefined;
}

function preference(): string | null {
  try {
    return localStorage.getItem(PREFERENCE_KEY);
  } catch {
    return null;
  }
}

function store(value: 'on' | 'off'): void {
  try {
    localStorage.setItem(PREFERENCE_KEY, value);
  } catch {
    // The choice lasts as long as the page.
  }
}
