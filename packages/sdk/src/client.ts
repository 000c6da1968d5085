import {
  AppError,
  MESSAGE_BODY_MAX_BYTES,
  MESSAGE_ID_PATTERN,
  READ_IDS_MAX,
  ServerFrame,
  WS_CLOSE,
  isErrorCode,
  type Address,
  type ClientFrame,
  type ErrorFrame,
  type GroupEventFrame,
  type InboxFrame,
  type LoginRequest,
  type ReceiptFrame,
  type RegisterRequest,
  type SessionResponse,
} from '@switchboard/shared';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import type { HistoryQuery, HistoryStore } from './history-store.js';
import { HttpApi, webSocketUrl, type FetchFunction } from './http-api.js';
import { GroupsApi, UsersApi } from './resources.js';
import { LocalHistory, type InboxChanges, type MessageChanges } from './local-history.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import {
  addressOf,
  conversationIdFor,
  isConversationId,
  newMessageId,
  type ConversationId,
  type ConversationSummary,
  type HistoryPage,
  type JsonValue,
  type StoredMessage,
} from './model.js';
import { TypingSender, TypingTracker, type TypingEvent } from './typing.js';

/** The part of the WebSocket API the client uses: the browser's, Node 22's, or `ws`. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `ws` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A signed-in device: what register and login answer. */
export type Session = SessionResponse;

/**
 * Where the connection is. `ended` is final (the session was refused, revoked,
 * replaced by a newer socket of the same device, or logged out); `closed` is `close()`.
 */
export type ConnectionState =
  'idle' | 'connecting' | 'syncing' | 'online' | 'reconnecting' | 'closed' | 'ended';

/** Why a session ended for good. */
export type SessionEndReason =
  'AUTH_FAILED' | 'SESSION_REVOKED' | 'SESSION_REPLACED' | 'LOGGED_OUT';

/** A contact's presence as last reported. */
export interface PresenceState {
  readonly user: string;
  readonly online: boolean;
  /** When their last socket closed (ms); null when hidden or unknown. */
  readonly lastSeen: number | null;
}

/** Every event of a client and its payload. */
export interface ClientEvents {
  /** A new message is in the history: received, or sent from another of my devices. */
  message: StoredMessage;
  /** A message's status changed (pending → sent → delivered → read, or failed). */
  status: StoredMessage;
  /** A receipt arrived (the message is absent when this history does not have it). */
  receipt: { readonly receipt: ReceiptFrame; readonly message?: StoredMessage };
  /** A conversation's summary changed: last message, unread count, title. */
  conversation: ConversationSummary;
  /** Someone started or stopped typing (a `start` expires after 6 s). */
  typing: TypingEvent;
  /** A contact went online or offline. */
  presence: PresenceState;
  /** A group was created, renamed, or its members changed. */
  group: GroupEventFrame;
  /** The connection state changed. */
  state: {
    readonly state: ConnectionState;
    readonly previous: ConnectionState;
    /** The WebSocket close code that caused it, if any. */
    readonly closeCode?: number;
  };
  /** The server accepted this device's socket. */
  ready: { readonly userId: string; readonly deviceId: string };
  /** The backlog is stored and acknowledged: what follows is live. */
  synced: { readonly seq: number };
  /** The session ended for good: sign in again. */
  sessionEnded: { readonly reason: SessionEndReason };
  /** Something failed that no call could report: a refused send, a store failure. */
  error: { readonly error: Error; readonly messageId?: string };
}

/** Options of `new SwitchboardClient(...)`. */
export interface SwitchboardClientOptions {
  /** The server's origin, e.g. `https://chat.example` (`ws(s)://` works too). */
  readonly url: string;
  /** A session from register or login (preferred: it names the device). */
  readonly session?: Session;
  /** A session token alone; the client asks `GET /api/me` which device it is. */
  readonly token?: string;
  /** Sign in (or register) on first use when there is no session or token. */
  readonly credentials?: {
    readonly username: string;
    readonly password: string;
    readonly register?: boolean;
  };
  /** Name of this device, shown in the account's device list. */
  readonly deviceName?: string;
  /** Where history, outbox and sync state live (default: in memory). */
  readonly store?: HistoryStore;
  /** The WebSocket class (default `globalThis.WebSocket`; `@switchboard/sdk/node` passes `ws`). */
  readonly WebSocket?: WebSocketConstructor;
  /** The fetch function (default the global one). */
  readonly fetch?: FetchFunction;
  /** Reconnection delays: exponential with jitter, capped. */
  readonly reconnect?: BackoffOptions;
  /** Client pings: every `intervalMs` (default: the server's `heartbeatMs`, at most 25 s), a silent socket is dropped after `timeoutMs` (default 10 s). */
  readonly heartbeat?: { readonly intervalMs?: number; readonly timeoutMs?: number };
  /** Acknowledge after `every` stored items (default 200) or `delayMs` of quiet (default 250). */
  readonly acks?: { readonly every?: number; readonly delayMs?: number };
  /** Outbox: resend after `sendTimeoutMs` without `sent` (default 15 s); at most `maxSendsPerSecond` (default 100; 0: no limit). */
  readonly outbox?: { readonly sendTimeoutMs?: number; readonly maxSendsPerSecond?: number };
  /** Give up on a socket that is not `ready` after this long (default 15 s). */
  readonly connectTimeoutMs?: number;
  /** Random numbers for jitter (tests pass a fixed one). */
  readonly random?: () => number;
}

interface Link {
  readonly ws: WebSocketLike;
  ready: boolean;
  frames: number;
  ackedSeq: number;
  storedSinceAck: number;
  ackTimer?: ReturnType<typeof setTimeout>;
  connectTimer?: ReturnType<typeof setTimeout>;
  pingTimer?: ReturnType<typeof setInterval>;
  pongTimer?: ReturnType<typeof setTimeout>;
  endReason?: SessionEndReason;
  nonce: number;
  readsAwaitingPong: Array<{ nonce: string; ids: string[] }>;
  readsInFlight: Set<string>;
}

const TRANSIENT_SEND_ERRORS = new Set(['RATE_LIMITED', 'INTERNAL', 'SERVICE_UNAVAILABLE']);
const CLOSE_HEARTBEAT = 4000;
const WS_OPEN = 1;

/**
 * A Switchboard chat client for browsers and Node: account and group calls over HTTP, a
 * WebSocket that reconnects by itself and resumes where its history stopped, an outbox
 * that survives restarts, and a local history (messages, statuses, unread counts) that
 * the user sees exactly once per message.
 *
 * @example
 * const alice = new SwitchboardClient({ url: 'http://localhost:3000' });
 * await alice.login({ username: 'alice', password: 'correct horse battery' });
 * alice.on('message', (m) => console.log(m.from.user, m.body));
 * await alice.connect();
 * await alice.send({ user: bobId }, { text: 'hi' });
 */
export class SwitchboardClient {
  /** The HTTP API, for calls the helpers below do not cover. */
  readonly api: HttpApi;
  /** Group calls: create, get, list, rename, members, leave. */
  readonly groups: GroupsApi;
  /** User calls: lookup by username, presence, blocks, my profile. */
  readonly users: UsersApi;

  readonly #options: SwitchboardClientOptions;
  readonly #events: TypedEmitter<ClientEvents>;
  readonly #store: HistoryStore;
  readonly #typing: TypingTracker;
  readonly #typingSender: TypingSender;
  readonly #presence = new Map<string, PresenceState>();
  readonly #random: () => number;
  #session: Session | null;
  #history: LocalHistory | null = null;
  #preparing: Promise<LocalHistory> | null = null;
  #state: ConnectionState = 'idle';
  #link: Link | null = null;
  #attempt = 0;
  #reconnectTimer?: ReturnType<typeof setTimeout>;
  #online: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null =
    null;
  #inbound: Promise<void> = Promise.resolve();
  #pendingItems: InboxFrame[] = [];
  #flushTimer?: ReturnType<typeof setTimeout>;
  readonly #queues = new Map<ConversationId, StoredMessage[]>();
  readonly #inFlight = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #sendAttempts = new Map<string, number>();
  #tokens: number;
  #tokensAt = Date.now();
  #pumpTimer?: ReturnType<typeof setTimeout>;
  #removeOnlineListener?: () => void;

  constructor(options: SwitchboardClientOptions) {
    this.#options = options;
    this.#events = new TypedEmitter<ClientEvents>((error) =>
      this.#events.emit('error', { error: asError(error) }),
    );
    this.#session = options.session ?? null;
    this.api = new HttpApi(
      options.url,
      options.session?.token ?? options.token ?? null,
      options.fetch,
    );
    this.groups = new GroupsApi(this.api, () => this.#requireSession().userId);
    this.users = new UsersApi(this.api);
    this.#store = options.store ?? new MemoryHistoryStore();
    this.#random = options.random ?? Math.random;
    this.#typing = new TypingTracker((event) => this.#events.emit('typing', event));
    this.#typingSender = new TypingSender(
      (to, state) => this.#sendFrame({ type: 'typing', to, state }),
      () => Date.now(),
    );
    this.#tokens = this.#sendRate;
  }

  // ------------------------------------------------------------------ session

  /** The current session (null before sign-in). */
  get session(): Session | null {
    return this.#session;
  }

  /** My user id (throws before sign-in). */
  get userId(): string {
    return this.#requireSession().userId;
  }

  /** This device's id (throws before sign-in). */
  get deviceId(): string {
    return this.#requireSession().deviceId;
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The history store this client writes to. */
  get store(): HistoryStore {
    return this.#store;
  }

  /**
   * Creates an account and signs this client in as its first device.
   *
   * @example
   * await client.register({ username: 'alice', password: 'correct horse battery' });
   */
  async register(input: RegisterRequest): Promise<Session> {
    const session = await this.api.register(this.#withDevice(input));
    this.#useSession(session);
    return session;
  }

  /**
   * Signs in: a new device with its own token.
   *
   * @example
   * const { userId } = await client.login({ username: 'alice', password: 'correct horse battery' });
   */
  async login(input: LoginRequest): Promise<Session> {
    const session = await this.api.login(this.#withDevice(input));
    this.#useSession(session);
    return session;
  }

  /**
   * Signs this device out: the token stops working everywhere, the socket closes, and
   * with `clearHistory` the local history is erased.
   *
   * @example
   * await client.logout({ clearHistory: true });
   */
  async logout(options: { clearHistory?: boolean } = {}): Promise<void> {
    await this.api.logout();
    this.#end('LOGGED_OUT');
    await this.#inbound;
    if (options.clearHistory === true) await this.#store.clear();
  }

  // ------------------------------------------------------------------ events

  /**
   * Listens to an event; returns the function that stops listening.
   *
   * @example
   * const off = client.on('message', (message) => render(message));
   */
  on<K extends keyof ClientEvents>(
    event: K,
    listener: (payload: ClientEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Listens to the next occurrence of an event only. */
  once<K extends keyof ClientEvents>(
    event: K,
    listener: (payload: ClientEvents[K]) => void,
  ): () => void {
    return this.#events.once(event, listener);
  }

  /** Stops a listener added with `on`. */
  off<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /**
   * Resolves with the next event that passes `filter`.
   *
   * @example
   * const reply = await client.next('message', (m) => m.conversationId === `user:${bobId}`);
   */
  next<K extends keyof ClientEvents>(
    event: K,
    filter?: (payload: ClientEvents[K]) => boolean,
  ): Promise<ClientEvents[K]> {
    return this.#events.next(event, filter);
  }

  // ------------------------------------------------------------------ connection

  /**
   * Opens the WebSocket and keeps it open: reconnects with backoff after any loss, and
   * resumes after the last stored `seq`. Resolves once the backlog is stored and
   * acknowledged (`synced`); rejects if the session ends or `close()` is called first.
   * Network failures do not reject: the client keeps trying.
   *
   * @example
   * await client.connect();
   */
  connect(): Promise<void> {
    if (this.#state === 'ended') {
      return handled(Promise.reject(new AppError('UNAUTHENTICATED', 'This session has ended.')));
    }
    if (this.#state === 'online') return Promise.resolve();
    if (this.#online === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      // Handled here, so that `void client.connect()` never leaves an unhandled
      // rejection: what went wrong also goes to the `state` and `sessionEnded` events.
      const promise = handled(
        new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        }),
      );
      this.#online = { promise, resolve, reject };
    }
    const online = this.#online.promise;
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#setState('connecting');
      this.#prepare().then(
        () => {
          // close() may have been called while the session was being resolved.
          if (this.#state !== 'connecting') return;
          this.#watchBrowserOnline();
          this.#open();
        },
        (error: unknown) => {
          this.#setState('closed');
          this.#events.emit('error', { error: asError(error) });
          this.#online?.reject(asError(error));
          this.#online = null;
        },
      );
    }
    return online;
  }

  /**
   * Closes the socket and stops reconnecting; waits until received items are stored.
   * The store stays open (it is yours): close it after the client.
   *
   * @example
   * await client.close();
   * await store.close();
   */
  async close(): Promise<void> {
    if (this.#state !== 'ended') this.#setState('closed');
    this.#stopConnection(1000, 'client closed');
    this.#online?.reject(new Error('the client was closed'));
    this.#online = null;
    await this.#inbound;
  }

  /** Drops the socket now and reconnects (after a network change, say). */
  reconnectNow(): void {
    if (this.#state === 'closed' || this.#state === 'ended' || this.#state === 'idle') return;
    clearTimeout(this.#reconnectTimer);
    this.#attempt = 0;
    const link = this.#link;
    if (link !== null) this.#drop(link, 1000, 'reconnecting');
    else this.#open();
  }

  // ------------------------------------------------------------------ sending

  /**
   * Sends a message: stored in the history and the outbox first (status `pending`), then
   * sent, and resent with the same id until the server answers `sent`, across
   * reconnects and restarts. Messages of one conversation go out in order. `to` is an
   * address or a conversation id. Resolves with the stored message once it is in the outbox.
   *
   * @example
   * const message = await client.send({ user: bobId }, { text: 'hello' });
   * await client.send('group:g1', { text: 'hi all' });
   */
  async send(
    to: Address | ConversationId,
    body: JsonValue,
    options: { id?: string } = {},
  ): Promise<StoredMessage> {
    const address = typeof to === 'string' ? parseConversation(to) : to;
    const id = options.id ?? newMessageId();
    if (!MESSAGE_ID_PATTERN.test(id)) {
      throw new AppError('INVALID_REQUEST', 'A message id is 1 to 64 characters of [0-9A-Za-z_-].');
    }
    const json = JSON.stringify(body) as string | undefined;
    if (json === undefined) throw new AppError('INVALID_REQUEST', 'A message body must be JSON.');
    if (new TextEncoder().encode(json).length > MESSAGE_BODY_MAX_BYTES) {
      throw new AppError(
        'BODY_TOO_LARGE',
        `A message body is at most ${MESSAGE_BODY_MAX_BYTES} bytes as JSON.`,
      );
    }
    const history = await this.#prepare();
    const result = await history.enqueue({
      id,
      to: address,
      body: JSON.parse(json) as JsonValue,
      device: this.deviceId,
      now: Date.now(),
    });
    if (result.created) {
      this.#queue(result.message);
      this.#events.emit('status', result.message);
      if (result.conversation !== undefined) this.#events.emit('conversation', result.conversation);
      this.#pump();
    }
    return result.message;
  }

  /**
   * Sends a failed message again, with the same id.
   *
   * @example
   * client.on('status', (m) => { if (m.status === 'failed') showRetry(m); });
   * await client.retry(message.id);
   */
  async retry(messageId: string): Promise<void> {
    const history = await this.#prepare();
    const changes = await history.requeue(messageId);
    for (const message of changes.updated) this.#queue(message);
    this.#report(changes);
    this.#pump();
  }

  /**
   * Marks a conversation read (all of it, or up to a message's `sortKey`): its unread
   * count drops, and the senders get `read` receipts (sent now, or after reconnecting).
   *
   * @example
   * await client.markRead('user:' + bobId);
   */
  async markRead(conversationId: ConversationId, options: { upTo?: string } = {}): Promise<void> {
    const history = await this.#prepare();
    const changes = await history.markRead(conversationId, options.upTo);
    this.#report(changes);
    this.#flushReads();
  }

  /**
   * Tells the conversation I am typing (call it on every keystroke: it sends `start` at
   * most every 3 s) or that I stopped.
   *
   * @example
   * input.oninput = () => client.setTyping('group:g1', input.value.length > 0);
   */
  setTyping(conversation: ConversationId | Address, typing: boolean): void {
    const to = typeof conversation === 'string' ? parseConversation(conversation) : conversation;
    this.#typingSender.set(to, conversationIdFor(to), typing);
  }

  // ------------------------------------------------------------------ reading

  /**
   * The conversation list, most recent activity first, with last message and unread count.
   *
   * @example
   * for (const c of await client.conversations()) console.log(c.conversationId, c.unread);
   */
  async conversations(): Promise<ConversationSummary[]> {
    await this.#prepare();
    return this.#store.listConversations();
  }

  /** One conversation's summary, if it exists. */
  async conversation(conversationId: ConversationId): Promise<ConversationSummary | undefined> {
    await this.#prepare();
    const [found] = await this.#store.getConversations([conversationId]);
    return found;
  }

  /**
   * A page of a conversation's history, oldest first: the newest page without `before`,
   * then older ones with the previous page's `nextCursor` (infinite scroll).
   *
   * @example
   * let page = await client.history('user:' + bobId, { limit: 30 });
   * if (page.nextCursor) page = await client.history('user:' + bobId, { before: page.nextCursor });
   */
  async history(conversationId: ConversationId, query: HistoryQuery = {}): Promise<HistoryPage> {
    const history = await this.#prepare();
    return history.page(conversationId, query);
  }

  /** Total unread messages across conversations. */
  async unreadCount(): Promise<number> {
    const all = await this.conversations();
    return all.reduce((sum, c) => sum + c.unread, 0);
  }

  /** Messages waiting for `sent`, in send order. */
  async outbox(): Promise<StoredMessage[]> {
    const history = await this.#prepare();
    return history.outbox();
  }

  /**
   * How many messages wait for `sent` (a cheap count, for a "3 messages waiting" badge).
   *
   * @example
   * if (client.pendingCount > 0) showBadge(client.pendingCount);
   */
  get pendingCount(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }

  /** A contact's presence as last reported on this connection. */
  presenceOf(userId: string): PresenceState | undefined {
    return this.#presence.get(userId);
  }

  /** The users typing in a conversation now. */
  typingIn(conversationId: ConversationId): string[] {
    return this.#typing.typingIn(conversationId);
  }

  // ------------------------------------------------------------------ internals: setup

  get #sendRate(): number {
    return this.#options.outbox?.maxSendsPerSecond ?? 100;
  }

  #withDevice<T extends { deviceName?: string }>(input: T): T {
    const deviceName = input.deviceName ?? this.#options.deviceName;
    return deviceName === undefined ? input : { ...input, deviceName };
  }

  #useSession(session: Session): void {
    if (this.#history !== null && this.#history.me !== session.userId) {
      throw new Error('this client already holds the history of another account');
    }
    if (this.#state === 'ended') this.#state = 'idle';
    this.#session = session;
    this.api.token = session.token;
    this.#preparing = null;
    this.#history = null;
  }

  #requireSession(): Session {
    if (this.#session === null) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
    return this.#session;
  }

  /** Resolves the session and opens the history (once). */
  #prepare(): Promise<LocalHistory> {
    this.#preparing ??= (async () => {
      if (this.#session === null) {
        const credentials = this.#options.credentials;
        if (this.api.token !== null) {
          const me = await this.api.me();
          if (me.deviceId === null) {
            throw new AppError(
              'AUTH_FAILED',
              'Chat needs a session token (a login), not an API token.',
            );
          }
          this.#session = { userId: me.userId, deviceId: me.deviceId, token: this.api.token };
        } else if (credentials !== undefined) {
          const input = this.#withDevice<LoginRequest>({
            username: credentials.username,
            password: credentials.password,
          });
          const session =
            credentials.register === true
              ? await this.api.register(input)
              : await this.api.login(input);
          this.#session = session;
          this.api.token = session.token;
        } else {
          throw new AppError(
            'UNAUTHENTICATED',
            'Give the client a session, a token or credentials.',
          );
        }
      }
      const session = this.#requireSession();
      const history = await LocalHistory.open(this.#store, session.userId, session.deviceId);
      this.#history = history;
      this.#queues.clear();
      for (const message of await history.outbox()) this.#queue(message);
      return history;
    })();
    const preparing = this.#preparing;
    preparing.catch(() => {
      if (this.#preparing === preparing) this.#preparing = null;
    });
    return preparing;
  }

  #watchBrowserOnline(): void {
    if (this.#removeOnlineListener !== undefined) return;
    const target = globalThis as {
      addEventListener?: (t: string, l: () => void) => void;
      removeEventListener?: (t: string, l: () => void) => void;
    };
    if (typeof target.addEventListener !== 'function') return;
    // A browser that regains the network should not wait out a long backoff.
    const listener = () => {
      if (this.#state === 'reconnecting') this.reconnectNow();
    };
    target.addEventListener('online', listener);
    this.#removeOnlineListener = () => target.removeEventListener?.('online', listener);
  }

  #setState(state: ConnectionState, closeCode?: number): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#events.emit('state', {
      state,
      previous,
      ...(closeCode === undefined ? {} : { closeCode }),
    });
  }

  // ------------------------------------------------------------------ internals: socket

  #open(): void {
    const WebSocketClass =
      this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) {
      throw new Error('No WebSocket here: pass one (`ws` in Node) or import @switchboard/sdk/node');
    }
    this.#setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new WebSocketClass(webSocketUrl(this.api.baseUrl));
    } catch (error) {
      this.#events.emit('error', { error: asError(error) });
      this.#scheduleReconnect();
      return;
    }
    const link: Link = {
      ws,
      ready: false,
      frames: 0,
      ackedSeq: 0,
      storedSinceAck: 0,
      nonce: 0,
      readsAwaitingPong: [],
      readsInFlight: new Set(),
    };
    this.#link = link;
    link.connectTimer = setTimeout(() => {
      if (!link.ready) this.#drop(link, CLOSE_HEARTBEAT, 'no ready in time');
    }, this.#options.connectTimeoutMs ?? 15_000);
    ws.onopen = () => {
      // Items of the previous socket may still be on their way to the store: `after`
      // must count them, or the server would send them again for nothing.
      void this.#inbound.then(() => {
        if (this.#link !== link || this.#history === null) return;
        const after = this.#history.lastSeq;
        link.ackedSeq = after;
        this.#write(link, { type: 'auth', token: this.#requireSession().token, after });
      });
    };
    ws.onmessage = (event) => this.#onMessage(link, event.data);
    ws.onclose = (event) => this.#onClose(link, event.code);
    ws.onerror = () => undefined; // a close event follows
  }

  #onMessage(link: Link, data: unknown): void {
    if (this.#link !== link) return;
    link.frames += 1;
    let frame: ServerFrame;
    try {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
      const parsed = ServerFrame.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`an unexpected frame: ${text.slice(0, 200)}`);
      frame = parsed.data;
    } catch (error) {
      this.#events.emit('error', { error: asError(error) });
      return;
    }
    switch (frame.type) {
      case 'ready': {
        link.ready = true;
        clearTimeout(link.connectTimer);
        const session = this.#requireSession();
        if (frame.userId !== session.userId || frame.deviceId !== session.deviceId) {
          this.#events.emit('error', {
            error: new Error(
              `the server says this is ${frame.userId}/${frame.deviceId}, not ${session.userId}/${session.deviceId}`,
            ),
          });
        }
        this.#setState('syncing');
        this.#startHeartbeat(link, frame.heartbeatMs);
        this.#typingSender.reset();
        this.#events.emit('ready', { userId: frame.userId, deviceId: frame.deviceId });
        this.#pump();
        this.#flushReads();
        break;
      }
      case 'msg':
      case 'receipt':
      case 'group':
        this.#receive(link, frame);
        break;
      case 'synced':
        this.#flushItems(link);
        void this.#inbound.then(() => {
          if (this.#link !== link) return;
          this.#sendAck(link);
          this.#attempt = 0;
          this.#setState('online');
          this.#online?.resolve();
          this.#online = null;
          this.#events.emit('synced', { seq: frame.seq });
        });
        break;
      case 'sent':
        this.#onSent(frame.id, frame.ts);
        break;
      case 'error':
        this.#onErrorFrame(link, frame);
        break;
      case 'typing':
        this.#typing.receive(frame, this.#requireSession().userId);
        break;
      case 'presence': {
        const presence = { user: frame.user, online: frame.online, lastSeen: frame.lastSeen };
        this.#presence.set(frame.user, presence);
        this.#events.emit('presence', presence);
        break;
      }
      case 'pong':
        this.#onPong(link, frame.nonce);
        break;
    }
  }

  #onClose(link: Link, code: number): void {
    if (this.#link !== link) return;
    this.#detach(link);
    if (this.#state === 'closed' || this.#state === 'ended') return;
    if (code === WS_CLOSE.AUTH_FAILED) this.#end(link.endReason ?? 'AUTH_FAILED', code);
    else if (code === WS_CLOSE.SESSION_REVOKED) this.#end('SESSION_REVOKED', code);
    else if (code === WS_CLOSE.SESSION_REPLACED) this.#end('SESSION_REPLACED', code);
    else {
      // Rate limited: come back slowly rather than be dropped again at once.
      if (code === WS_CLOSE.RATE_LIMITED) this.#attempt = Math.max(this.#attempt, 4);
      this.#scheduleReconnect(code);
    }
  }

  /** Forgets a socket: its timers, the in-flight sends (they go again on the next one). */
  #detach(link: Link): void {
    if (this.#link === link) this.#link = null;
    link.ws.onopen = null;
    link.ws.onmessage = null;
    link.ws.onclose = null;
    // Not null: `ws` reports closing a socket that is still connecting as an error
    // event, and an error event nobody listens to would crash a Node process.
    link.ws.onerror = () => undefined;
    clearTimeout(link.connectTimer);
    clearInterval(link.pingTimer);
    clearTimeout(link.pongTimer);
    clearTimeout(link.ackTimer);
    for (const timer of this.#inFlight.values()) clearTimeout(timer);
    this.#inFlight.clear();
    this.#typing.clear();
    // Items received but not yet stored are dropped: they were not acknowledged, so the
    // next socket gets them again.
    this.#pendingItems = [];
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  /** Closes a socket we gave up on and goes on as if the server had closed it. */
  #drop(link: Link, code: number, reason: string): void {
    this.#detach(link);
    closeQuietly(link.ws, code, reason);
    if (this.#state !== 'closed' && this.#state !== 'ended') this.#scheduleReconnect(code);
  }

  #stopConnection(code: number, reason: string): void {
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#pumpTimer);
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#removeOnlineListener?.();
    this.#removeOnlineListener = undefined;
    const link = this.#link;
    if (link !== null) {
      this.#detach(link);
      closeQuietly(link.ws, code, reason);
    }
  }

  #end(reason: SessionEndReason, closeCode?: number): void {
    if (this.#state === 'ended') return;
    this.#stopConnection(1000, 'session ended');
    this.#setState('ended', closeCode);
    this.#events.emit('sessionEnded', { reason });
    this.#online?.reject(
      new AppError(
        reason === 'LOGGED_OUT' ? 'UNAUTHENTICATED' : reason,
        `The session ended: ${reason}.`,
      ),
    );
    this.#online = null;
  }

  #scheduleReconnect(closeCode?: number): void {
    clearTimeout(this.#reconnectTimer);
    const delay = backoffDelay(this.#attempt, this.#options.reconnect, this.#random);
    this.#attempt += 1;
    this.#setState('reconnecting', closeCode);
    this.#reconnectTimer = setTimeout(() => {
      if (this.#state === 'reconnecting') this.#open();
    }, delay);
  }

  #startHeartbeat(link: Link, serverHeartbeatMs: number): void {
    const intervalMs = this.#options.heartbeat?.intervalMs ?? Math.min(25_000, serverHeartbeatMs);
    const timeoutMs = this.#options.heartbeat?.timeoutMs ?? 10_000;
    link.pingTimer = setInterval(() => {
      const seen = link.frames;
      if (!this.#write(link, { type: 'ping' })) return;
      clearTimeout(link.pongTimer);
      // Any frame counts as a sign of life: a long backlog may delay the pong itself.
      link.pongTimer = setTimeout(() => {
        if (link.frames === seen) this.#drop(link, CLOSE_HEARTBEAT, 'heartbeat timeout');
      }, timeoutMs);
    }, intervalMs);
  }

  /** Sends a frame on a socket that is open; false when it cannot. */
  #write(link: Link, frame: ClientFrame): boolean {
    if (this.#link !== link || link.ws.readyState !== WS_OPEN) return false;
    try {
      link.ws.send(JSON.stringify(frame));
      return true;
    } catch (error) {
      this.#events.emit('error', { error: asError(error) });
      return false;
    }
  }

  /** Sends a frame on the current socket once it is authenticated. */
  #sendFrame(frame: ClientFrame): boolean {
    const link = this.#link;
    return link !== null && link.ready && this.#write(link, frame);
  }

  #onErrorFrame(link: Link, frame: ErrorFrame): void {
    if (frame.code === 'AUTH_FAILED') link.endReason = 'AUTH_FAILED';
    if (
      frame.code === 'AUTH_FAILED' ||
      frame.code === 'SESSION_REVOKED' ||
      frame.code === 'SESSION_REPLACED'
    ) {
      return; // the close that follows says it
    }
    const error = isErrorCode(frame.code)
      ? new AppError(frame.code, frame.message)
      : new AppError('INTERNAL', `${frame.code}: ${frame.message}`);
    if (frame.id !== undefined && this.#inFlight.has(frame.id)) {
      this.#onSendError(frame.id, error);
      return;
    }
    if (frame.code === 'RATE_LIMITED') {
      // An ack or a read frame was refused: say them again a little later.
      link.readsAwaitingPong = [];
      link.readsInFlight.clear();
      clearTimeout(link.ackTimer);
      link.ackTimer = setTimeout(() => {
        link.ackedSeq = 0;
        this.#sendAck(link);
        this.#flushReads();
      }, 1_000);
    }
    this.#events.emit('error', {
      error,
      ...(frame.id === undefined ? {} : { messageId: frame.id }),
    });
  }

  // ------------------------------------------------------------------ internals: inbox

  #receive(link: Link, item: InboxFrame): void {
    this.#pendingItems.push(item);
    if (this.#pendingItems.length >= (this.#options.acks?.every ?? 200)) {
      this.#flushItems(link);
    } else if (this.#flushTimer === undefined) {
      // Frames that arrive together are stored together: one write per burst.
      this.#flushTimer = setTimeout(() => this.#flushItems(link), 0);
    }
  }

  #flushItems(link: Link): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const items = this.#pendingItems;
    if (items.length === 0) return;
    this.#pendingItems = [];
    const history = this.#history!;
    this.#inbound = this.#inbound
      .then(async () => {
        let changes: InboxChanges;
        try {
          changes = await history.applyInbox(items);
        } catch (error) {
          // Not stored, so not acknowledged: the server sends them again next time.
          this.#events.emit('error', { error: asError(error) });
          if (this.#link === link) this.#drop(link, CLOSE_HEARTBEAT, 'store failed');
          return;
        }
        this.#afterStored(link, changes, items.length);
      })
      .catch((error: unknown) => this.#events.emit('error', { error: asError(error) }));
  }

  #afterStored(link: Link, changes: InboxChanges, count: number): void {
    for (const id of changes.leftOutbox) this.#dequeue(id);
    for (const event of changes.events) {
      switch (event.type) {
        case 'message':
          this.#events.emit('message', event.message);
          break;
        case 'receipt':
          this.#events.emit(
            'receipt',
            event.message === undefined
              ? { receipt: event.receipt }
              : { receipt: event.receipt, message: event.message },
          );
          break;
        case 'group':
          this.#events.emit('group', event.event);
          break;
      }
    }
    for (const message of changes.updated) this.#events.emit('status', message);
    for (const conversation of changes.conversations)
      this.#events.emit('conversation', conversation);
    if (this.#link !== link) return;
    link.storedSinceAck += count;
    if (link.storedSinceAck >= (this.#options.acks?.every ?? 200)) {
      this.#sendAck(link);
    } else if (link.ackTimer === undefined) {
      link.ackTimer = setTimeout(() => this.#sendAck(link), this.#options.acks?.delayMs ?? 250);
    }
  }

  #sendAck(link: Link): void {
    clearTimeout(link.ackTimer);
    link.ackTimer = undefined;
    const seq = this.#history?.lastSeq ?? 0;
    if (seq <= link.ackedSeq) return;
    if (this.#write(link, { type: 'ack', seq })) {
      link.ackedSeq = seq;
      link.storedSinceAck = 0;
    }
  }

  // ------------------------------------------------------------------ internals: reads

  #flushReads(): void {
    const link = this.#link;
    const history = this.#history;
    if (link === null || !link.ready || history === null) return;
    const ids = history.pendingReads.filter((id) => !link.readsInFlight.has(id));
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += READ_IDS_MAX) {
      const chunk = ids.slice(i, i + READ_IDS_MAX);
      if (!this.#write(link, { type: 'read', ids: chunk })) return;
      for (const id of chunk) link.readsInFlight.add(id);
    }
    // The server handles a socket's frames in order: its pong says the reads arrived.
    link.nonce += 1;
    const nonce = `r${link.nonce}`;
    link.readsAwaitingPong.push({ nonce, ids });
    this.#write(link, { type: 'ping', nonce });
  }

  #onPong(link: Link, nonce: string | undefined): void {
    if (link.readsAwaitingPong.length === 0 || this.#history === null) return;
    const index =
      nonce === undefined
        ? link.readsAwaitingPong.length - 1
        : link.readsAwaitingPong.findIndex((entry) => entry.nonce === nonce);
    if (index < 0) return;
    const done = link.readsAwaitingPong.splice(0, index + 1).flatMap((entry) => entry.ids);
    for (const id of done) link.readsInFlight.delete(id);
    void this.#history
      .confirmReads(done)
      .catch((error: unknown) => this.#events.emit('error', { error: asError(error) }));
  }

  // ------------------------------------------------------------------ internals: outbox

  #queue(message: StoredMessage): void {
    let queue = this.#queues.get(message.conversationId);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(message.conversationId, queue);
    }
    if (!queue.some((m) => m.id === message.id)) queue.push(message);
  }

  #dequeue(id: string): void {
    for (const [conversationId, queue] of this.#queues) {
      const index = queue.findIndex((m) => m.id === id);
      if (index < 0) continue;
      queue.splice(index, 1);
      if (queue.length === 0) this.#queues.delete(conversationId);
    }
    clearTimeout(this.#inFlight.get(id));
    this.#inFlight.delete(id);
    clearTimeout(this.#retryTimers.get(id));
    this.#retryTimers.delete(id);
    this.#sendAttempts.delete(id);
  }

  /** Sends the head of every conversation's queue that is not already on its way. */
  #pump(): void {
    const link = this.#link;
    if (link === null || !link.ready) return;
    for (const queue of this.#queues.values()) {
      const head = queue[0];
      if (head === undefined || this.#inFlight.has(head.id) || this.#retryTimers.has(head.id))
        continue;
      if (!this.#takeToken()) return;
      if (!this.#write(link, { type: 'send', id: head.id, to: head.to, body: head.body })) return;
      this.#inFlight.set(
        head.id,
        setTimeout(() => {
          // No answer: the same id again is harmless (the server stores it once).
          this.#inFlight.delete(head.id);
          this.#pump();
        }, this.#options.outbox?.sendTimeoutMs ?? 15_000),
      );
    }
  }

  #takeToken(): boolean {
    const rate = this.#sendRate;
    if (rate <= 0) return true;
    const now = Date.now();
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    if (this.#pumpTimer === undefined) {
      this.#pumpTimer = setTimeout(
        () => {
          this.#pumpTimer = undefined;
          this.#pump();
        },
        Math.ceil(((1 - this.#tokens) / rate) * 1000),
      );
    }
    return false;
  }

  #onSent(id: string, ts: number): void {
    this.#dequeue(id);
    // The next message of the conversation may go now: the server has this one.
    this.#pump();
    const history = this.#history;
    if (history === null) return;
    history
      .markSent(id, ts)
      .then((changes) => this.#report(changes))
      .catch((error: unknown) =>
        this.#events.emit('error', { error: asError(error), messageId: id }),
      );
  }

  #onSendError(id: string, error: AppError): void {
    clearTimeout(this.#inFlight.get(id));
    this.#inFlight.delete(id);
    if (TRANSIENT_SEND_ERRORS.has(error.code)) {
      const attempt = (this.#sendAttempts.get(id) ?? 0) + 1;
      this.#sendAttempts.set(id, attempt);
      const delay = backoffDelay(
        attempt - 1,
        { initialDelayMs: 1_000, maxDelayMs: 30_000 },
        this.#random,
      );
      this.#retryTimers.set(
        id,
        setTimeout(() => {
          this.#retryTimers.delete(id);
          this.#pump();
        }, delay),
      );
      return;
    }
    this.#dequeue(id);
    this.#pump();
    this.#events.emit('error', { error, messageId: id });
    this.#history
      ?.markFailed(id, { code: error.code, message: error.message })
      .then((changes) => this.#report(changes))
      .catch((failure: unknown) =>
        this.#events.emit('error', { error: asError(failure), messageId: id }),
      );
  }

  #report(changes: MessageChanges): void {
    for (const message of changes.updated) this.#events.emit('status', message);
    for (const conversation of changes.conversations)
      this.#events.emit('conversation', conversation);
  }
}

function parseConversation(value: string): Address {
  if (!isConversationId(value)) {
    throw new AppError('INVALID_REQUEST', `Not a conversation id: ${value}`);
  }
  return addressOf(value);
}

function closeQuietly(ws: WebSocketLike, code: number, reason: string): void {
  try {
    const terminate = (ws as { terminate?: () => void }).terminate;
    // `ws` can drop a dead TCP connection at once; a browser socket can only be closed.
    if (typeof terminate === 'function' && code !== 1000) terminate.call(ws);
    else ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** The same promise, with a handler attached so that its rejection is never "unhandled". */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
