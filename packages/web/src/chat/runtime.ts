import {
  IndexedDbHistoryStore,
  MemoryHistoryStore,
  SwitchboardClient,
  type ConnectionState,
  type HistoryStore,
  type SessionEndReason,
  type StoredMessage,
} from '@switchboard/sdk';
import { fetchMe } from '../api/accounts.js';
import { getSessionEnd, type Session } from '../api/session.js';
import { conversationPath } from './chat-paths.js';
import type { ChatPhase } from './connection-view.js';
import { ChatDirectory } from './directory.js';
import { previewOf } from './message-body.js';
import { ChatNotifier } from './notifier.js';
import { TabLock } from './tab-lock.js';
import { forgetUsed, markUsed, wasUsed } from './usage.js';

/** Everything a chat screen reads about the chat of this tab. */
export interface ChatSnapshot {
  readonly phase: ChatPhase;
  /** The SDK client while this tab holds the chat. */
  readonly client: SwitchboardClient | null;
  /** Names of people and groups of the signed-in account. */
  readonly directory: ChatDirectory | null;
  readonly connection: ConnectionState;
  /** `navigator.onLine`: false means the browser knows it has no network. */
  readonly browserOnline: boolean;
  /** Why the session ended, once the server said so. */
  readonly ended: SessionEndReason | null;
  /** True when IndexedDB is unavailable and history lasts only as long as the tab. */
  readonly volatile: boolean;
  /** What stopped the chat from starting, for the banner. */
  readonly failure: unknown;
}

/** The IndexedDB database of an account's history in this browser. */
export function historyDatabaseName(userId: string): string {
  return `switchboard-chat-${userId}`;
}

/** How long a tab waits for the lock before saying chat is open elsewhere (a reload's old page lets go). */
const BUSY_NOTICE_MS = 1_500;

const browserOnline = () => typeof navigator === 'undefined' || navigator.onLine !== false;

/**
 * The chat of this tab, outside React: it follows the web session, takes the device's
 * tab lock, opens the account's IndexedDB history and one SDK client, keeps it
 * connected (pausing while the browser is offline), turns the server's verdicts into
 * the app's session (a revoked device signs out here too), shows notifications, and
 * erases the account's history from this browser when its session ends.
 *
 * Chat starts on the first visit to a chat screen and, from then on, with every page
 * of the app (so that notifications and delivery receipts work wherever the user is).
 */
export class ChatRuntime {
  readonly notifier = new ChatNotifier();
  /** Unsent text per conversation, kept while the page lives. */
  readonly drafts = new Map<string, string>();
  /** Opens an app path (set by the provider from the router). */
  navigate: (path: string) => void = () => undefined;

  readonly #listeners = new Set<() => void>();
  #snapshot: ChatSnapshot = {
    phase: 'off',
    client: null,
    directory: null,
    connection: 'idle',
    browserOnline: browserOnline(),
    ended: null,
    volatile: false,
    failure: null,
  };
  #session: Session | null = null;
  #generation = 0;
  #screens = 0;
  #lock: TabLock | null = null;
  #client: SwitchboardClient | null = null;
  #store: HistoryStore | null = null;
  #unsubscribe: Array<() => void> = [];
  #closing: Promise<void> = Promise.resolve();
  #busyTimer: ReturnType<typeof setTimeout> | undefined;
  #paused = false;
  #removeWindowListeners: (() => void) | null = null;

  /** The current snapshot (a stable object between changes). */
  getSnapshot = (): ChatSnapshot => this.#snapshot;

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Follows the web session: starts, switches or stops the chat. */
  attach(session: Session | null): void {
    if (session?.token === this.#session?.token) return;
    const previous = this.#session;
    this.#stop();
    this.#session = session;
    // The session ended (sign-out, or the device was signed out): leave nothing of the
    // account's messages in this browser, as a shared computer needs.
    if (previous !== null && session?.userId !== previous.userId && getSessionEnd() !== null) {
      void this.#erase(previous.userId);
    }
    if (session !== null && (this.#screens > 0 || wasUsed(session.userId))) this.#start(session);
  }

  /** Stops without erasing anything (the app unmounts). */
  detach(): void {
    this.#stop();
    this.#session = null;
  }

  /** A chat screen is showing: chat starts now, and with every page from now on. */
  screenMounted(): () => void {
    this.#screens += 1;
    const session = this.#session;
    if (session !== null) {
      markUsed(session.userId);
      if (this.#snapshot.phase === 'off') this.#start(session);
    }
    return () => {
      this.#screens -= 1;
    };
  }

  /** Takes the chat over from another tab of this browser ("Use here"). */
  useHere(): void {
    if (this.#snapshot.phase !== 'elsewhere' || this.#lock === null) return;
    this.#set({ phase: 'starting' });
    this.#lock.steal();
  }

  /** Starts again after a failure to start. */
  retry(): void {
    const session = this.#session;
    if (session === null || this.#snapshot.phase !== 'failed') return;
    this.#stop();
    this.#start(session);
  }

  /** Reconnects at once instead of waiting for the next attempt. */
  reconnectNow(): void {
    if (this.#client === null || !browserOnline()) return;
    if (this.#client.state === 'closed') this.#connect(this.#client);
    else this.#client.reconnectNow();
  }

  #set(change: Partial<ChatSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of this.#listeners) listener();
  }

  #start(session: Session): void {
    const generation = ++this.#generation;
    const directory = new ChatDirectory(session.userId);
    this.#set({
      phase: 'starting',
      client: null,
      directory,
      connection: 'idle',
      browserOnline: browserOnline(),
      ended: null,
      volatile: false,
      failure: null,
    });
    this.#watchWindow();
    const lock = new TabLock(`switchboard-chat:${session.deviceId}`, {
      acquired: () => {
        clearTimeout(this.#busyTimer);
        if (generation === this.#generation) void this.#open(generation, session);
      },
      busy: () => {
        clearTimeout(this.#busyTimer);
        this.#busyTimer = setTimeout(() => {
          if (generation === this.#generation && this.#snapshot.phase === 'starting') {
            this.#set({ phase: 'elsewhere' });
          }
        }, BUSY_NOTICE_MS);
      },
      lost: () => {
        if (generation !== this.#generation) return;
        this.#closeClient();
        this.#set({ phase: 'elsewhere', client: null, connection: 'idle' });
      },
    });
    this.#lock = lock;
    lock.start();
  }

  async #open(generation: number, session: Session): Promise<void> {
    if (this.#client !== null) return;
    await this.#closing;
    let store: HistoryStore;
    let volatile = false;
    try {
      store = await IndexedDbHistoryStore.open(historyDatabaseName(session.userId));
    } catch {
      // Private windows of some browsers refuse IndexedDB: chat still works, for this tab.
      store = new MemoryHistoryStore();
      volatile = true;
    }
    if (generation !== this.#generation || this.#client !== null) {
      await store.close();
      return;
    }
    const client = new SwitchboardClient({
      url: location.origin,
      session: { token: session.token, userId: session.userId, deviceId: session.deviceId },
      store,
    });
    this.#client = client;
    this.#store = store;
    const directory = this.#snapshot.directory;
    this.#unsubscribe = [
      client.on('state', ({ state }) => {
        if (this.#client === client) this.#set({ connection: state });
      }),
      client.on('sessionEnded', ({ reason }) => this.#onSessionEnded(generation, client, reason)),
      client.on('message', (message) => this.#onMessage(message)),
      client.on('group', (event) => directory?.groupChanged(event)),
      // A listener must exist, or the emitter reports to the console: the errors a
      // screen cares about (a refused send) also reach it as a message's status.
      client.on('error', () => undefined),
    ];
    directory?.useClient(client);
    this.#paused = !browserOnline();
    this.#set({ phase: 'active', client, volatile, connection: client.state });
    if (!this.#paused) this.#connect(client);
  }

  #connect(client: SwitchboardClient): void {
    client.connect().catch((error: unknown) => {
      // `close()` (going offline, signing out) and a session's end reject too: only a
      // failure to open the history is news here.
      if (this.#client !== client || this.#paused || client.state !== 'closed') return;
      if (this.#snapshot.ended !== null) return;
      this.#set({ phase: 'failed', failure: error });
    });
  }

  #onSessionEnded(generation: number, client: SwitchboardClient, reason: SessionEndReason): void {
    if (generation !== this.#generation || this.#client !== client) return;
    if (reason === 'SESSION_REPLACED') {
      // The same device connected from elsewhere (a tab where Web Locks are missing).
      this.#closeClient();
      this.#set({ phase: 'elsewhere', client: null, connection: 'idle' });
      return;
    }
    this.#set({ ended: reason });
    // The socket says the session is over; the HTTP client ends the app's session on the
    // 401 this answers. Asked rather than assumed, so that a sign-out in progress keeps
    // its own "You are signed out".
    fetchMe().catch(() => undefined);
  }

  #onMessage(message: StoredMessage): void {
    const directory = this.#snapshot.directory;
    if (directory === null) return;
    if (!message.outgoing) directory.want(message.from.user);
    if (!this.notifier.wants(message)) return;
    void (async () => {
      // Names first: "alice" says more than "New message" (the first message of someone
      // new comes before the app knows their name).
      const sender = (await withTimeout(directory.resolveName(message.from.user))) ?? 'New message';
      let group: string | null = null;
      if ('group' in message.to) {
        const groupId = message.to.group;
        group =
          directory.groupName(groupId) ??
          (await withTimeout(directory.loadGroup(groupId).catch(() => null)))?.name ??
          null;
      }
      if (this.#snapshot.directory !== directory) return;
      this.notifier.show(message, {
        title: group === null ? sender : `${sender} in ${group}`,
        body: previewOf(message.body, 200),
        onOpen: () => this.navigate(conversationPath(message.conversationId)),
      });
    })();
  }

  #watchWindow(): void {
    if (this.#removeWindowListeners !== null || typeof window === 'undefined') return;
    const offline = () => {
      this.#set({ browserOnline: false });
      const client = this.#client;
      if (client === null) return;
      // A socket outlives the network it used for a while (until a heartbeat fails):
      // the browser knows better, so stop now and let the outbox wait.
      this.#paused = true;
      void client.close();
    };
    const online = () => {
      this.#set({ browserOnline: true });
      const client = this.#client;
      if (client === null || !this.#paused) return;
      this.#paused = false;
      this.#connect(client);
    };
    const attention = () => {
      this.notifier.refresh();
      const inView = this.notifier.inView;
      if (inView !== null && document.visibilityState === 'visible') this.notifier.dismiss(inView);
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    window.addEventListener('focus', attention);
    document.addEventListener('visibilitychange', attention);
    this.#removeWindowListeners = () => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      window.removeEventListener('focus', attention);
      document.removeEventListener('visibilitychange', attention);
    };
  }

  /** Closes the client and its store; `#closing` resolves once both are closed. */
  #closeClient(): void {
    const client = this.#client;
    const store = this.#store;
    this.#client = null;
    this.#store = null;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#snapshot.directory?.useClient(null);
    if (client === null) return;
    const previous = this.#closing;
    this.#closing = previous
      .then(() => client.close())
      .then(() => store?.close())
      .catch(() => undefined);
  }

  #stop(): void {
    this.#generation += 1;
    clearTimeout(this.#busyTimer);
    this.#lock?.stop();
    this.#lock = null;
    this.#closeClient();
    this.#removeWindowListeners?.();
    this.#removeWindowListeners = null;
    this.#snapshot.directory?.dispose();
    this.drafts.clear();
    this.#paused = false;
    this.#set({
      phase: 'off',
      client: null,
      directory: null,
      connection: 'idle',
      ended: null,
      volatile: false,
      failure: null,
    });
  }

  async #erase(userId: string): Promise<void> {
    await this.#closing;
    ChatDirectory.erase(userId);
    forgetUsed(userId);
    await IndexedDbHistoryStore.destroy(historyDatabaseName(userId)).catch(() => undefined);
  }
}

/** How long a notification waits for a name before it goes out without one. */
const NAME_WAIT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>): Promise<T | null> {
  return Promise.race([
    promise,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), NAME_WAIT_MS)),
  ]);
}
