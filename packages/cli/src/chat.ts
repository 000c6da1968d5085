import type { Readable, Writable } from 'node:stream';
import {
  AppError,
  FileHistoryStore,
  SwitchboardClient,
  type ConversationId,
  type ConversationSummary,
  type Session,
  type StoredMessage,
} from '@switchboard/sdk/node';
import { ConfigStore, type SavedSession } from './config-store.js';
import { LineReader } from './line-reader.js';

/** Options of `switchboard chat`. */
export interface ChatOptions {
  readonly server: string;
  readonly configDir: string;
  readonly username?: string;
  readonly password?: string;
  readonly register?: boolean;
  readonly deviceName?: string;
  readonly input: Readable;
  readonly output: Writable;
  readonly interactive: boolean;
  /** At the end of piped input, wait this long for the outbox to empty (default 15 s). */
  readonly drainTimeoutMs?: number;
}

const HELP = `Commands:
  /list                      your conversations, most recent first
  /open @user | N | #group   open a conversation (N from /list); shows its last messages
  /more                      older messages of the open conversation
  /msg @user text            send to someone without opening the conversation
  /group new NAME @a @b ...  create a group with these members, and open it
  /group add @user           add someone to the open group (admins)
  /group leave               leave the open group
  /read                      mark the open conversation read
  /whoami                    who and where you are signed in
  /logout                    sign this device out and forget it
  /quit                      leave (also Ctrl-D)
  anything else              is sent to the open conversation`;

/**
 * The terminal chat: signs in (a saved session, or asks), then reads commands and
 * messages line by line and prints what arrives. Answers the exit code.
 */
export async function runChat(options: ChatOptions): Promise<number> {
  const reader = new LineReader(options.input, options.output, options.interactive);
  const out = (line: string) => reader.print(line);
  const config = new ConfigStore(options.configDir);
  const server = new URL(options.server).origin;
  try {
    const session = await signIn(options, reader, config, server, out);
    if (session === null) return 1;
    const store = await FileHistoryStore.open(config.historyFile(server, session.userId));
    const client = new SwitchboardClient({
      url: server,
      session,
      store,
      deviceName: options.deviceName ?? 'terminal',
    });
    const chat = new Chat(client, session.username, reader, out, config, server);
    try {
      return await chat.run(options.drainTimeoutMs ?? 15_000);
    } finally {
      await client.close();
      await store.close();
    }
  } catch (error) {
    out(`error: ${describeError(error)}`);
    return 1;
  } finally {
    reader.close();
  }
}

async function signIn(
  options: ChatOptions,
  reader: LineReader,
  config: ConfigStore,
  server: string,
  out: (line: string) => void,
): Promise<(Session & { username: string }) | null> {
  const saved = await config.session(server);
  if (
    saved !== undefined &&
    (options.username === undefined || options.username.toLowerCase() === saved.username)
  ) {
    const probe = new SwitchboardClient({ url: server, session: saved });
    try {
      await probe.users.me();
      return saved;
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'UNAUTHENTICATED') throw error;
      out('Your saved session has ended; sign in again.');
      await config.saveSession(server, null);
    }
  }
  const username = options.username ?? (await reader.ask('Username: '))?.trim();
  if (!username) return null;
  const password = options.password ?? (await reader.ask('Password: ', { hidden: true }));
  if (password === null) return null;
  const client = new SwitchboardClient({
    url: server,
    deviceName: options.deviceName ?? 'terminal',
  });
  let session: Session;
  if (options.register === true) {
    session = await client.register({ username, password });
    out(`Registered ${username.toLowerCase()}.`);
  } else {
    try {
      session = await client.login({ username, password });
    } catch (error) {
      if (
        !(error instanceof AppError) ||
        error.code !== 'INVALID_CREDENTIALS' ||
        !reader.interactive
      )
        throw error;
      const answer = await reader.ask(
        `Wrong password, or no account "${username}". Register it? [y/N] `,
      );
      if (answer?.trim().toLowerCase() !== 'y') return null;
      session = await client.register({ username, password });
    }
  }
  const toSave: SavedSession = { ...session, username: username.toLowerCase() };
  await config.saveSession(server, toSave);
  return toSave;
}

class Chat {
  readonly #names = new Map<string, string>();
  readonly #ids = new Map<string, string>();
  #current: ConversationSummary | { conversationId: ConversationId; title?: string } | null = null;
  #listed: ConversationSummary[] = [];
  #olderCursor: string | null = null;
  /** False until the first backlog is stored: /list sums it up instead of printing it all. */
  #live = false;

  constructor(
    private readonly client: SwitchboardClient,
    username: string,
    private readonly reader: LineReader,
    private readonly out: (line: string) => void,
    private readonly config: ConfigStore,
    private readonly server: string,
  ) {
    this.#names.set(client.userId, username);
    this.#ids.set(username, client.userId);
  }

  async run(drainTimeoutMs: number): Promise<number> {
    const { client, out } = this;
    client.on('message', (message) => {
      if (this.#live) void this.#announce(message);
    });
    client.on('status', (message) => {
      if (message.status === 'failed')
        out(`! not sent (${message.error?.code ?? 'refused'}): ${textOf(message)}`);
      else if (
        message.outgoing &&
        message.status === 'read' &&
        this.#isCurrent(message.conversationId)
      ) {
        out(`  (read: ${textOf(message)})`);
      }
    });
    client.on('group', (event) => {
      void this.#label(`group:${event.groupId}`).then((label) =>
        out(
          `* ${label}: ${event.event}${event.userId === undefined ? '' : ` ${this.#names.get(event.userId) ?? event.userId}`}`,
        ),
      );
    });
    client.on('typing', (event) => {
      if (event.typing && this.#isCurrent(event.conversationId)) {
        void this.#name(event.user).then((name) => out(`  @${name} is typing…`));
      }
    });
    client.on('sessionEnded', ({ reason }) => {
      out(`Session ended (${reason}). Sign in again.`);
      if (reason !== 'SESSION_REPLACED') void this.config.saveSession(this.server, null);
    });
    client.on('state', ({ state }) => {
      if (state === 'reconnecting') out('… connection lost, reconnecting');
    });
    client.on('error', ({ error, messageId }) => {
      if (messageId === undefined) out(`! ${describeError(error)}`);
    });

    const online = client.connect();
    online.then(
      () => (this.#live = true),
      () => undefined,
    );
    out(`Signed in as @${this.#names.get(client.userId)} on ${this.server}. /help for commands.`);
    await Promise.race([online, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await this.#list();

    for (;;) {
      const line = await this.reader.ask(this.#prompt());
      if (line === null) break;
      const text = line.trim();
      if (text.length === 0) continue;
      try {
        if (text === '/quit' || text === '/exit') break;
        if (text === '/logout') {
          await client.logout({ clearHistory: true });
          await this.config.saveSession(this.server, null);
          out('Signed out.');
          return 0;
        }
        await this.#command(text);
      } catch (error) {
        out(`! ${describeError(error)}`);
      }
      if (client.state === 'ended') return 1;
    }
    return this.#drain(drainTimeoutMs);
  }

  /** Waits for the outbox to empty, so that piped messages are not left behind. */
  async #drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let pending = await this.client.outbox();
    while (pending.length > 0 && Date.now() < deadline && this.client.state !== 'ended') {
      await Promise.race([
        this.client.next('status', (m) => m.status !== 'pending'),
        new Promise((resolve) => setTimeout(resolve, 250)),
      ]);
      pending = await this.client.outbox();
    }
    if (pending.length > 0) {
      this.out(
        `${pending.length} message(s) not sent yet: they will go the next time you connect.`,
      );
    }
    return 0;
  }

  async #command(text: string): Promise<void> {
    const { client, out } = this;
    if (!text.startsWith('/')) {
      if (this.#current === null) {
        out('Open a conversation first: /open @user (or /msg @user text).');
        return;
      }
      await client.send(this.#current.conversationId, { text });
      return;
    }
    const [command = '', ...args] = text.split(/\s+/);
    switch (command) {
      case '/help':
        out(HELP);
        return;
      case '/list':
        await this.#list();
        return;
      case '/open':
        await this.#open(args[0]);
        return;
      case '/more':
        await this.#more();
        return;
      case '/read':
        if (this.#current !== null) await client.markRead(this.#current.conversationId);
        return;
      case '/msg': {
        const target = args[0];
        const body = text.slice(text.indexOf(target ?? '') + (target?.length ?? 0)).trim();
        if (target === undefined || body.length === 0) {
          out('Usage: /msg @user text');
          return;
        }
        const userId = await this.#userId(target);
        await client.send({ user: userId }, { text: body });
        return;
      }
      case '/group':
        await this.#group(args);
        return;
      case '/whoami':
        out(
          `@${this.#names.get(client.userId)} (user ${client.userId}, device ${client.deviceId}) on ${this.server}, ${client.state}`,
        );
        return;
      default:
        out(`Unknown command ${command}. /help lists them.`);
    }
  }

  async #group(args: string[]): Promise<void> {
    const { client, out } = this;
    const [sub, ...rest] = args;
    if (sub === 'new') {
      const name = rest.filter((a) => !a.startsWith('@')).join(' ');
      const members = await Promise.all(
        rest.filter((a) => a.startsWith('@')).map((a) => this.#userId(a)),
      );
      if (name.length === 0) {
        out('Usage: /group new NAME @a @b ...');
        return;
      }
      const group = await client.groups.create(name, members);
      out(`Created group "${group.name}" (${group.groupId}) with ${group.members.length} members.`);
      this.#current = { conversationId: `group:${group.groupId}`, title: group.name };
      this.#olderCursor = null;
      return;
    }
    const current = this.#current;
    if (current === null || !current.conversationId.startsWith('group:')) {
      out('Open a group first.');
      return;
    }
    const groupId = current.conversationId.slice('group:'.length);
    if (sub === 'add' && rest[0] !== undefined) {
      await client.groups.addMember(groupId, await this.#userId(rest[0]));
      out(`Added ${rest[0]}.`);
    } else if (sub === 'leave') {
      await client.groups.leave(groupId);
      out('You left the group.');
      this.#current = null;
    } else {
      out('Usage: /group new NAME @a @b | /group add @user | /group leave');
    }
  }

  async #list(): Promise<void> {
    this.#listed = await this.client.conversations();
    if (this.#listed.length === 0) {
      this.out('No conversations yet. /open @user to start one.');
      return;
    }
    this.out('Conversations:');
    for (const [index, conversation] of this.#listed.entries()) {
      const label = await this.#label(conversation.conversationId, conversation.title);
      const last = conversation.lastMessage;
      const preview =
        last === undefined
          ? ''
          : last.kind === 'event'
            ? ` — ${await this.#describeEvent(last)}`
            : ` — ${last.outgoing ? 'you: ' : ''}${clip(textOf(last), 50)}`;
      const unread = conversation.unread > 0 ? ` (${conversation.unread} unread)` : '';
      this.out(`  ${index + 1}. ${label}${unread}${preview}`);
    }
  }

  async #open(target: string | undefined): Promise<void> {
    if (target === undefined) {
      this.out('Usage: /open @user | N | #group');
      return;
    }
    let conversationId: ConversationId;
    let title: string | undefined;
    if (/^\d+$/.test(target)) {
      const picked = this.#listed[Number(target) - 1];
      if (picked === undefined) {
        this.out(`No conversation ${target} in the last /list.`);
        return;
      }
      conversationId = picked.conversationId;
      title = picked.title;
    } else if (target.startsWith('#')) {
      const group = await this.client.groups.get(target.slice(1));
      conversationId = `group:${group.groupId}`;
      title = group.name;
    } else {
      conversationId = `user:${await this.#userId(target)}`;
    }
    this.#current = { conversationId, ...(title === undefined ? {} : { title }) };
    const page = await this.client.history(conversationId, { limit: 20 });
    this.#olderCursor = page.nextCursor;
    this.out(`— ${await this.#label(conversationId, title)} —`);
    for (const message of page.messages) this.out(await this.#format(message));
    await this.client.markRead(conversationId);
  }

  async #more(): Promise<void> {
    if (this.#current === null || this.#olderCursor === null) {
      this.out('Nothing older.');
      return;
    }
    const page = await this.client.history(this.#current.conversationId, {
      limit: 20,
      before: this.#olderCursor,
    });
    this.#olderCursor = page.nextCursor;
    for (const message of page.messages) this.out(await this.#format(message));
  }

  async #announce(message: StoredMessage): Promise<void> {
    if (message.outgoing && message.from.device === this.client.deviceId) return;
    this.out(await this.#format(message, !this.#isCurrent(message.conversationId)));
    if (this.#isCurrent(message.conversationId) && !message.outgoing) {
      await this.client.markRead(message.conversationId).catch(() => undefined);
    }
  }

  async #format(message: StoredMessage, withConversation = false): Promise<string> {
    const time = new Date(message.ts).toTimeString().slice(0, 5);
    if (message.kind === 'event') return `[${time}] * ${await this.#describeEvent(message)}`;
    const who = message.outgoing ? 'you' : `@${await this.#name(message.from.user)}`;
    const where = withConversation ? ` [${await this.#label(message.conversationId)}]` : '';
    const status = message.outgoing ? ` ${STATUS_MARK[message.status] ?? ''}` : '';
    return `[${time}]${where} ${who}: ${textOf(message)}${status}`;
  }

  /** "@bob added @carol", "@bob renamed the group to Climbing"... */
  async #describeEvent(message: StoredMessage): Promise<string> {
    const body = message.body as {
      event?: string;
      by?: string;
      userId?: string;
      name?: string;
      role?: string;
    };
    const by = message.outgoing ? 'you' : `@${await this.#name(body.by ?? message.from.user)}`;
    const who = body.userId === undefined ? '' : `@${await this.#name(body.userId)}`;
    switch (body.event ?? '') {
      case 'created':
        return `${by} created the group "${body.name ?? ''}"`;
      case 'renamed':
        return `${by} renamed the group to "${body.name ?? ''}"`;
      case 'member-added':
        return `${by} added ${who}`;
      case 'member-removed':
        return `${by} removed ${who}`;
      case 'member-left':
        return `${who || by} left`;
      case 'role-changed':
        return `${by} made ${who} ${body.role === 'admin' ? 'an admin' : 'a member'}`;
      default:
        return `${by}: ${body.event ?? 'changed the group'}`;
    }
  }

  #isCurrent(conversationId: ConversationId): boolean {
    return this.#current?.conversationId === conversationId;
  }

  #prompt(): string {
    return this.#current === null
      ? '> '
      : `${this.#labelSync(this.#current.conversationId, this.#current.title)}> `;
  }

  #labelSync(conversationId: ConversationId, title?: string): string {
    if (conversationId.startsWith('group:')) return `#${title ?? conversationId.slice(6)}`;
    const userId = conversationId.slice(5);
    return `@${this.#names.get(userId) ?? userId}`;
  }

  async #label(conversationId: ConversationId, title?: string): Promise<string> {
    if (conversationId.startsWith('group:')) {
      const known = title ?? (await this.client.conversation(conversationId))?.title;
      return `#${known ?? conversationId.slice(6)}`;
    }
    return `@${await this.#name(conversationId.slice(5))}`;
  }

  async #name(userId: string): Promise<string> {
    const known = this.#names.get(userId);
    if (known !== undefined) return known;
    try {
      const user = await this.client.users.byId(userId);
      this.#names.set(userId, user.username);
      this.#ids.set(user.username, userId);
      return user.username;
    } catch {
      return userId;
    }
  }

  async #userId(handle: string): Promise<string> {
    const username = handle.replace(/^@/, '').toLowerCase();
    const known = this.#ids.get(username);
    if (known !== undefined) return known;
    const user = await this.client.users.byUsername(username);
    this.#ids.set(user.username, user.userId);
    this.#names.set(user.userId, user.username);
    return user.userId;
  }
}

const STATUS_MARK: Partial<Record<StoredMessage['status'], string>> = {
  pending: '…',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓ read',
  failed: '✗',
};

function textOf(message: StoredMessage): string {
  const body = message.body;
  if (typeof body === 'string') return body;
  if (
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    typeof body.text === 'string'
  ) {
    return body.text;
  }
  return JSON.stringify(body);
}

function clip(text: string, length: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > length ? `${oneLine.slice(0, length - 1)}…` : oneLine;
}

/** A one-line reason for an error, with the server's code when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
