import { randomBytes } from 'node:crypto';
import type { ClientFrame, ServerFrame } from '@switchboard/shared';
import { WebSocket } from 'ws';
import {
  MemoryHistoryStore,
  SwitchboardClient,
  type HistoryStore,
  type Session,
  type StoredMessage,
  type SwitchboardClientOptions,
} from '../src/node.js';
import { FakeChatServer } from '../src/test-support/fake-chat-server.js';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-app.js';

/** A user of a harness, with the session of their first device. */
export interface HarnessUser {
  readonly userId: string;
  readonly username: string;
  readonly password: string;
  readonly session: Session;
}

/** A chat server for the SDK's integration suites: the real one, or the fake. */
export interface ChatHarness {
  readonly name: string;
  readonly url: string;
  /** A new user (with one device). */
  user(prefix?: string): Promise<HarnessUser>;
  /** A new device of a user. */
  device(user: HarnessUser): Promise<Session>;
  /** A group created by `owner` with `members`; answers its id. */
  group(owner: HarnessUser, members: readonly HarnessUser[]): Promise<string>;
  /** Revokes a device's session (logout). */
  revoke(session: Session): Promise<void>;
  close(): Promise<void>;
}

/** Client options the suites share: quick acks, no self-imposed send rate. */
export function clientOptions(
  harness: ChatHarness,
  session: Session,
  store: HistoryStore = new MemoryHistoryStore(),
  extra: Partial<SwitchboardClientOptions> = {},
): SwitchboardClientOptions {
  return {
    url: harness.url,
    session,
    store,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    acks: { every: 200, delayMs: 50 },
    outbox: { maxSendsPerSecond: 0 },
    ...extra,
  };
}

/**
 * A client of `session` that records every message it reports, in order, and every
 * frame that crossed its sockets (to tell what the server sent from what the user saw).
 */
export class RecordingClient {
  readonly client: SwitchboardClient;
  readonly messages: StoredMessage[] = [];
  /** Frames the server sent, over every socket of this client. */
  readonly received: ServerFrame[] = [];
  /** Frames this client sent. */
  readonly sent: ClientFrame[] = [];
  /** Sockets opened so far. */
  readonly sockets: WebSocket[] = [];
  /** Every frame in both directions, in order, with the index of its socket. */
  readonly timeline: Array<
    | { socket: number; direction: 'in'; frame: ServerFrame }
    | { socket: number; direction: 'out'; frame: ClientFrame }
  > = [];

  constructor(options: SwitchboardClientOptions) {
    const { sockets, received, sent, timeline } = this;
    class RecordingWebSocket extends WebSocket {
      readonly index: number;

      constructor(url: string) {
        super(url);
        this.index = sockets.push(this) - 1;
        this.on('message', (data: Buffer) => {
          const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
          received.push(frame);
          timeline.push({ socket: this.index, direction: 'in', frame });
        });
      }

      override send(data: string): void {
        const frame = JSON.parse(data) as ClientFrame;
        sent.push(frame);
        timeline.push({ socket: this.index, direction: 'out', frame });
        super.send(data);
      }
    }
    this.client = new SwitchboardClient({
      ...options,
      WebSocket: RecordingWebSocket as unknown as NonNullable<
        SwitchboardClientOptions['WebSocket']
      >,
    });
    this.client.on('message', (message) => this.messages.push(message));
  }

  /** Cuts the current socket's TCP connection without a close frame (a network loss). */
  cut(): void {
    this.sockets.at(-1)?.terminate();
  }

  /**
   * Messages a server sent again on a later socket although this device had
   * acknowledged them (`after` of that socket's auth covers their earlier seq).
   */
  redeliveredAfterAck(): string[] {
    const seqOf = new Map<string, number>();
    const after = new Map<number, number>();
    const violations: string[] = [];
    for (const entry of this.timeline) {
      if (entry.direction === 'out') {
        if (entry.frame.type === 'auth') after.set(entry.socket, entry.frame.after);
        continue;
      }
      if (entry.frame.type !== 'msg') continue;
      const earlier = seqOf.get(entry.frame.id);
      if (earlier !== undefined && earlier <= (after.get(entry.socket) ?? 0)) {
        violations.push(entry.frame.id);
      }
      if (earlier === undefined) seqOf.set(entry.frame.id, entry.frame.seq);
    }
    return violations;
  }

  /** Ids of the `msg` frames the server sent, in order, duplicates included. */
  receivedMessageIds(): string[] {
    return this.received.flatMap((f) => (f.type === 'msg' ? [f.id] : []));
  }

  /** Ids of the messages reported, in order. */
  ids(): string[] {
    return this.messages.map((m) => m.id);
  }
}

/** Polls `condition` until it holds; fails with `describe()` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  describe: () => string = () => 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The fake server of test-support: quick, in memory, fault injection. */
export async function fakeHarness(): Promise<ChatHarness & { fake: FakeChatServer }> {
  const fake = await FakeChatServer.start();
  let counter = 0;
  return {
    name: 'fake server',
    fake,
    url: fake.url,
    user(prefix = 'user') {
      counter += 1;
      const userId = `${prefix}${counter}`;
      const session = fake.addDevice(userId);
      return Promise.resolve({ userId, username: userId, password: 'x', session });
    },
    device(user) {
      return Promise.resolve(fake.addDevice(user.userId));
    },
    group(owner, members) {
      return Promise.resolve(fake.addGroup([owner.userId, ...members.map((m) => m.userId)]));
    },
    revoke(session) {
      fake.revoke(session.deviceId);
      return Promise.resolve();
    },
    close: () => fake.close(),
  };
}

/** Environment for a real test server that many test users and fast senders can use. */
export const REAL_SERVER_ENV: Record<string, string> = {
  AUTH_REGISTRATIONS_PER_IP: '100000',
  AUTH_LOGIN_ATTEMPTS_PER_IP: '100000',
  CHAT_FRAMES_PER_SECOND: '100000',
};

/** The whole app in-process (startTestServer), driven over HTTP and WebSocket. */
export async function realHarness(
  env: Record<string, string> = {},
): Promise<ChatHarness & { server: TestServer }> {
  const server = await startTestServer({ ...REAL_SERVER_ENV, ...env });
  return realHarnessOn(server.baseUrl, () => server.close(), { server });
}

/** A harness on a server already running at `url`. */
export function realHarnessOn<T extends object>(
  url: string,
  close: () => Promise<void>,
  extra: T,
): ChatHarness & T {
  const http = () => new SwitchboardClient({ url });
  return {
    ...extra,
    name: 'real server',
    url,
    async user(prefix = 'user') {
      const username = `${prefix}_${randomBytes(4).toString('hex')}`;
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const session = await http().register({ username, password });
      return { userId: session.userId, username, password, session };
    },
    device(user) {
      return http().login({ username: user.username, password: user.password });
    },
    async group(owner, members) {
      const client = new SwitchboardClient({ url, session: owner.session });
      const group = await client.groups.create(
        `group ${randomBytes(3).toString('hex')}`,
        members.map((m) => m.userId),
      );
      return group.groupId;
    },
    async revoke(session) {
      await new SwitchboardClient({ url, session }).api.logout();
    },
    close,
  };
}
