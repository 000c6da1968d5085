import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  AppError,
  AuthFrame,
  ClientFrame,
  MESSAGE_BODY_MAX_BYTES,
  WS_CLOSE,
  WS_FRAME_MAX_BYTES,
  type ErrorCode,
  type SendFrame,
} from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import type { Authenticate } from '../../http/auth.js';
import type { Logger } from '../../logger.js';
import type { ChatBus, ChatBusEvent } from './chat-bus.js';
import { itemFrame, type InboxItem, type InboxStore } from './inbox-store.js';
import type { MessageService } from './message-service.js';
import { errorFrame } from './payloads.js';
import { plainSendFrame } from './send-frame.js';
import type { PresenceService } from './presence-service.js';

/** Tuning of the gateway, from the configuration. */
export interface GatewayOptions {
  readonly heartbeatMs: number;
  readonly authTimeoutMs: number;
  /** Unsent bytes a socket may queue before it is dropped as a slow consumer. */
  readonly sendBufferBytes: number;
  readonly framesPerSecond: number;
  readonly backlogPage: number;
  /**
   * This node's name in a cluster: connection ids are `<nodeId>.<n>`, so that the
   * routing table can tell which node holds a device. Random when not given.
   */
  readonly nodeId?: string;
}

/** What the gateway counts, for the metrics. */
export interface GatewayMetrics {
  /** A frame was received and parsed (its type), or refused before that (`invalid`). */
  frameReceived(type: string): void;
  /** A message was stored and answered `sent`. */
  messageStored(to: 'user' | 'group'): void;
}

/** What the gateway hands frames to. */
export interface GatewayDeps {
  readonly authenticate: Authenticate;
  readonly inbox: InboxStore;
  readonly messages: MessageService;
  readonly presence: PresenceService;
  readonly bus: ChatBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: GatewayMetrics;
}

/** ws's own limit, far above ours, so that an oversized frame gets an answer, not a close. */
const WS_MAX_PAYLOAD = 1024 * 1024;
/**
 * The heartbeat interval is cut into this many ticks, each pinging its share of the
 * sockets, so that 10,000 sockets are not all written to in one burst.
 */
const HEARTBEAT_SLICES = 8;
/** Frames a socket may send while its `auth` is being checked; they wait for the answer. */
const EARLY_FRAMES_MAX = 64;
/**
 * How long a revoked device is remembered, so that a socket whose `auth` was being
 * checked when the revocation came is still refused.
 */
const REVOKED_MEMORY_MS = 60_000;
/** How long a closing socket may take to finish its close handshake at shutdown. */
const SHUTDOWN_GRACE_MS = 2_000;
/**
 * How long a socket the server drops may take to answer the close; after that it is
 * cut, so that a peer that stopped reading does not hold its buffers for ws's 30 s.
 */
const CLOSE_GRACE_MS = 2_000;

/**
 * A device's frame budget: a token bucket, refilled lazily. Kept per device on the node
 * (not per socket), so that a device that reconnects gets back the budget it left with.
 */
interface Bucket {
  tokens: number;
  refilledAt: number;
}

const enum State {
  AwaitingAuth,
  Authenticating,
  Open,
  Closed,
}

const kConnection = Symbol('connection');
type TaggedSocket = WebSocket & { [kConnection]?: Connection };

/**
 * One socket's state, kept small: at 10,000 idle sockets every field counts, and the
 * event handlers are shared functions rather than closures per socket.
 */
class Connection {
  state = State.AwaitingAuth;
  userId = '';
  deviceId = '';
  /** Heartbeat: set by any frame or pong, cleared by each ping. */
  alive = true;
  /** Which tick of the heartbeat pings this socket. */
  readonly slot: number;
  /** The last seq written to this socket: the store is read after it. */
  lastSent = 0;
  synced = false;
  pulling = false;
  /** Items arrived while pulling: read once more before resting. */
  wakeAgain = false;
  /** The acks being applied, while they are. */
  acking: Promise<void> | null = null;
  /** The highest seq acknowledged and not yet applied. */
  ackWanted = 0;
  /** Its own until it authenticates, then its device's (see `ChatGateway.buckets`). */
  bucket: Bucket;
  strikes = 0;
  /**
   * The sends, reads and typing frames of this socket, taken one at a time so that
   * their effects keep the order the device sent them in.
   */
  tail: Promise<void> | null = null;
  /** The `presence` frames this device gets once synced, while they are computed. */
  presence: Promise<string[]> | null = null;
  early: Array<{ data: RawData; isBinary: boolean }> | null = null;
  /** Its TCP socket is corked until the end of this turn (see `ChatGateway.cork`). */
  corked = false;

  constructor(
    readonly gateway: ChatGateway,
    readonly ws: WebSocket,
    /** The socket under `ws`, corked so that a turn's frames leave in one write. */
    readonly socket: Duplex,
    readonly id: string,
    readonly openedAt: number,
    tokens: number,
    slot: number,
  ) {
    this.bucket = { tokens, refilledAt: openedAt };
    this.slot = slot;
  }
}

function onMessage(this: TaggedSocket, data: RawData, isBinary: boolean): void {
  const connection = this[kConnection];
  connection?.gateway.receive(connection, data, isBinary);
}

function onPong(this: TaggedSocket): void {
  const connection = this[kConnection];
  if (connection !== undefined) connection.alive = true;
}

function onClose(this: TaggedSocket): void {
  const connection = this[kConnection];
  connection?.gateway.closed(connection);
}

function onError(this: TaggedSocket, error: Error): void {
  const connection = this[kConnection];
  connection?.gateway.socketError(connection, error);
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * The WebSocket gateway at `/ws`: authenticates sockets, parses and checks frames,
 * hands them to the services, and delivers each device's inbox in seq order.
 *
 * Delivery is pull-based: a socket remembers the last seq it wrote and reads its
 * inbox after it, a page at a time, waiting for each page to be written out before
 * reading the next. A wake-up that carries the very next items is written directly;
 * any other one (or one that arrives mid-read) makes the socket read again. So what a
 * device receives is exactly its inbox, in order, with nothing skipped across the
 * backlog/live seam, however wake-ups race.
 */
export class ChatGateway {
  private readonly wss: WebSocketServer;
  private readonly all = new Set<Connection>();
  /** Sockets corked during this turn, uncorked together at its end. */
  private corked: Connection[] = [];
  private readonly byDevice = new Map<string, Connection>();
  private readonly awaitingAuth = new Set<Connection>();
  /** Devices revoked lately, with when: checked once a socket has authenticated. */
  private readonly revoked = new Map<string, number>();
  /**
   * The frame budgets of devices that left this node with less than a full bucket, so
   * that reconnecting does not refill it. An entry goes once its bucket would be full
   * again (within `2 s` of refill): the map holds only devices gone in the last seconds.
   */
  private readonly buckets = new Map<string, Bucket>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly authSweep: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly nodeId: string;
  private nextConnection = 0;
  private tick = 0;
  /** Sockets not yet closed (the ones closing are still in `all` until they are gone). */
  private openCount = 0;
  private shuttingDown = false;
  private allClosed: (() => void) | null = null;
  private readonly burst: number;
  /** A page stops early past this many bytes, so that a page never trips the slow-consumer limit. */
  private readonly pageBytes: number;

  constructor(
    private readonly deps: GatewayDeps,
    private readonly options: GatewayOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: WS_MAX_PAYLOAD,
      clientTracking: false,
    });
    this.nodeId = options.nodeId ?? randomBytes(6).toString('base64url');
    this.burst = options.framesPerSecond * 2;
    this.pageBytes = Math.max(1, Math.floor(options.sendBufferBytes / 4));
    // One timer for every socket: a ping each interval, and a socket that answered
    // nothing since the previous ping is dropped (dead within two intervals).
    this.heartbeat = setInterval(
      () => this.beat(),
      Math.max(1, Math.floor(options.heartbeatMs / HEARTBEAT_SLICES)),
    );
    this.heartbeat.unref();
    this.authSweep = setInterval(
      () => this.expireUnauthenticated(),
      Math.min(1_000, Math.max(25, Math.floor(options.authTimeoutMs / 4))),
    );
    this.authSweep.unref();
    this.unsubscribe = deps.bus.subscribe((event) => this.onBus(event));
  }

  /** Sockets open now, authenticated or not. */
  get connectionCount(): number {
    return this.openCount;
  }

  /** Takes over an HTTP upgrade request for `/ws`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.shuttingDown) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket));
  }

  private accept(ws: WebSocket, socket: Duplex): void {
    const connection = new Connection(
      this,
      ws,
      socket,
      `${this.nodeId}.${(this.nextConnection++).toString(36)}`,
      Date.now(),
      this.burst,
      this.nextConnection % HEARTBEAT_SLICES,
    );
    (ws as TaggedSocket)[kConnection] = connection;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
    this.all.add(connection);
    this.openCount++;
    this.awaitingAuth.add(connection);
  }

  // ------------------------------------------------------------------ inbound frames

  /** Handles one frame from a socket. */
  receive(c: Connection, data: RawData, isBinary: boolean): void {
    if (c.state === State.Closed) return;
    c.alive = true;
    if (c.state === State.Authenticating) {
      // ws may still hand over frames it had buffered before the pause.
      if (c.early !== null && c.early.length < EARLY_FRAMES_MAX) c.early.push({ data, isBinary });
      else this.fail(c, 'RATE_LIMITED', 'Wait for `ready` before sending more.');
      return;
    }
    if (!this.admit(c)) {
      this.fail(c, 'RATE_LIMITED', 'Too many frames; slow down.', this.idOf(data));
      return;
    }
    if (byteLength(data) > WS_FRAME_MAX_BYTES) {
      this.fail(c, 'FRAME_TOO_LARGE', `Frames are at most ${WS_FRAME_MAX_BYTES} bytes.`);
      return;
    }
    if (isBinary) {
      this.fail(c, 'INVALID_FRAME', 'Frames are JSON text, not binary.');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(toText(data));
    } catch {
      this.fail(c, 'INVALID_FRAME', 'The frame is not JSON.');
      return;
    }
    const id = idIn(json);
    if (c.state === State.AwaitingAuth) {
      this.firstFrame(c, json);
      return;
    }
    let frame: ClientFrame;
    try {
      const plain = plainSendFrame(json);
      if (plain !== null) {
        frame = plain;
      } else {
        const parsed = ClientFrame.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where =
            issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
          this.fail(c, 'INVALID_FRAME', `The frame does not match its schema${where}.`, id);
          return;
        }
        frame = parsed.data;
      }
      this.deps.metrics?.frameReceived(frame.type);
    } catch {
      // A body nested deeply enough overflows the validator's stack.
      this.fail(c, 'INVALID_FRAME', 'The frame is nested too deeply.', id);
      return;
    }
    switch (frame.type) {
      case 'auth':
        this.fail(c, 'ALREADY_AUTHENTICATED', 'This socket has already authenticated.');
        return;
      case 'send':
        this.send(c, frame);
        return;
      case 'ack':
        this.requestAck(c, frame.seq);
        return;
      case 'read': {
        const ids = frame.ids;
        // After the acks received before it, so that `delivered` comes before `read`.
        this.inOrder(c, async () => {
          if (c.acking !== null) await c.acking;
          await this.deps.messages
            .read(c, ids)
            .catch((error: unknown) => this.failWith(c, error, undefined));
        });
        return;
      }
      case 'typing':
        this.inOrder(c, () =>
          this.deps.presence
            .typing(c, frame)
            .catch((error: unknown) => this.failWith(c, error, undefined)),
        );
        return;
      case 'ping': {
        const pong =
          frame.nonce === undefined
            ? '{"type":"pong"}'
            : JSON.stringify({ type: 'pong', nonce: frame.nonce });
        // The pong follows the acks received before the ping, once they are applied: a
        // client that wants its acks durable before it leaves waits for it.
        this.inOrder(c, async () => {
          if (c.acking !== null) await c.acking;
          this.push(c, pong);
        });
        return;
      }
    }
  }

  /**
   * A token bucket per device on this node (kept across its reconnects):
   * `framesPerSecond`, bursts of twice that.
   */
  private admit(c: Connection): boolean {
    const bucket = c.bucket;
    this.refill(bucket, Date.now());
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      c.strikes = 0;
      return true;
    }
    // A second's worth of refused frames in a row: the device is not listening.
    if (++c.strikes >= this.options.framesPerSecond) {
      this.drop(c, 'RATE_LIMITED', WS_CLOSE.RATE_LIMITED, 'Too many frames; disconnected.');
    }
    return false;
  }

  private refill(bucket: Bucket, now: number): void {
    if (now <= bucket.refilledAt) return;
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.refilledAt) * this.options.framesPerSecond) / 1000,
    );
    bucket.refilledAt = now;
  }

  /**
   * An authenticated socket takes over its device's budget: what an earlier socket of
   * the device left (or the older socket's, replaced just now), less what this one
   * spent before authenticating.
   */
  private restoreBucket(c: Connection): void {
    const left = this.buckets.get(c.deviceId);
    if (left === undefined) return;
    this.buckets.delete(c.deviceId);
    const now = Date.now();
    this.refill(left, now);
    this.refill(c.bucket, now);
    left.tokens = Math.min(left.tokens, c.bucket.tokens);
    c.bucket = left;
  }

  /** A socket of a device goes: its budget stays, unless it is full anyway. */
  private keepBucket(c: Connection): void {
    if (c.deviceId === '') return;
    const now = Date.now();
    this.refill(c.bucket, now);
    if (c.bucket.tokens >= this.burst) return;
    const other = this.buckets.get(c.deviceId);
    if (other !== undefined) {
      this.refill(other, now);
      if (other.tokens <= c.bucket.tokens) return;
    }
    this.buckets.set(c.deviceId, c.bucket);
  }

  /** Forgets the budgets that are full again: they are what a new socket gets anyway. */
  private forgetFullBuckets(now: number): void {
    for (const [deviceId, bucket] of this.buckets) {
      const full =
        bucket.tokens + ((now - bucket.refilledAt) * this.options.framesPerSecond) / 1000 >=
        this.burst;
      if (full) this.buckets.delete(deviceId);
    }
  }

  private idOf(data: RawData): string | undefined {
    if (byteLength(data) > WS_FRAME_MAX_BYTES) return undefined;
    try {
      return idIn(JSON.parse(toText(data)));
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------ authentication

  private firstFrame(c: Connection, json: unknown): void {
    if ((json as { type?: unknown } | null)?.type !== 'auth') {
      this.drop(c, 'AUTH_REQUIRED', WS_CLOSE.AUTH_TIMEOUT, 'The first frame must be `auth`.');
      return;
    }
    const parsed = AuthFrame.safeParse(json);
    if (!parsed.success) {
      this.drop(
        c,
        'INVALID_FRAME',
        WS_CLOSE.AUTH_FAILED,
        'The `auth` frame does not match its schema.',
      );
      return;
    }
    c.state = State.Authenticating;
    c.early = [];
    this.awaitingAuth.delete(c);
    c.ws.pause();
    this.authenticate(c, parsed.data.token, parsed.data.after).catch((error: unknown) => {
      this.deps.logger.error({ err: error }, 'chat: authentication failed unexpectedly');
      this.drop(c, 'INTERNAL', 1011, 'Something went wrong on our side.');
    });
  }

  private async authenticate(c: Connection, token: string, after: number): Promise<void> {
    const principal = await this.deps.authenticate(token);
    if (c.state === State.Closed) return;
    if (principal === null || principal.kind !== 'session' || principal.deviceId === null) {
      this.drop(
        c,
        'AUTH_FAILED',
        WS_CLOSE.AUTH_FAILED,
        principal === null ? 'The token is not valid.' : 'Only a session token may open a socket.',
      );
      return;
    }
    c.userId = principal.userId;
    c.deviceId = principal.deviceId;
    if (this.wasRevoked(c.deviceId)) {
      this.drop(
        c,
        'SESSION_REVOKED',
        WS_CLOSE.SESSION_REVOKED,
        "This device's session was revoked.",
      );
      return;
    }
    // One socket per device: the older one goes, here or on another node.
    const previous = this.byDevice.get(c.deviceId);
    if (previous !== undefined && previous !== c) {
      this.drop(
        previous,
        'SESSION_REPLACED',
        WS_CLOSE.SESSION_REPLACED,
        'This device connected again elsewhere.',
      );
    }
    this.byDevice.set(c.deviceId, c);
    this.restoreBucket(c);
    this.deps.bus.publish({
      kind: 'disconnect',
      deviceId: c.deviceId,
      reason: 'replaced',
      keep: c.id,
    });

    // `after` cannot run ahead of the seqs handed out, or items to come would be skipped.
    const head = await this.deps.inbox.lastSeq(c.deviceId);
    // The socket may have closed (or been replaced) during the await.
    if ((c.state as State) === State.Closed) return;
    c.lastSent = Math.min(after, head);
    c.state = State.Open;
    this.push(
      c,
      `{"type":"ready","userId":${JSON.stringify(c.userId)},"deviceId":${JSON.stringify(c.deviceId)},"heartbeatMs":${this.options.heartbeatMs}}`,
    );
    c.presence = this.deps.presence.connected(c, c.id).catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, 'chat: presence update failed');
      return [];
    });
    if (c.lastSent > 0) this.requestAck(c, c.lastSent);
    void this.pull(c);

    const early = c.early ?? [];
    c.early = null;
    c.ws.resume();
    for (const frame of early) this.receive(c, frame.data, frame.isBinary);
  }

  private wasRevoked(deviceId: string): boolean {
    const at = this.revoked.get(deviceId);
    return at !== undefined && Date.now() - at < REVOKED_MEMORY_MS;
  }

  private expireUnauthenticated(): void {
    const now = Date.now();
    for (const [deviceId, at] of this.revoked) {
      if (now - at >= REVOKED_MEMORY_MS) this.revoked.delete(deviceId);
    }
    this.forgetFullBuckets(now);
    for (const c of this.awaitingAuth) {
      if (now - c.openedAt >= this.options.authTimeoutMs) {
        this.drop(
          c,
          'AUTH_REQUIRED',
          WS_CLOSE.AUTH_TIMEOUT,
          `No \`auth\` frame within ${this.options.authTimeoutMs} ms.`,
        );
      }
    }
  }

  // ------------------------------------------------------------------ sends and acks

  private send(c: Connection, frame: SendFrame): void {
    let body: string;
    try {
      body = JSON.stringify(frame.body);
    } catch {
      this.fail(c, 'INVALID_FRAME', 'The body is nested too deeply.', frame.id);
      return;
    }
    if (Buffer.byteLength(body) > MESSAGE_BODY_MAX_BYTES) {
      this.fail(
        c,
        'BODY_TOO_LARGE',
        `Bodies are at most ${MESSAGE_BODY_MAX_BYTES} bytes of JSON.`,
        frame.id,
      );
      return;
    }
    const run = async (): Promise<void> => {
      let accepted;
      try {
        accepted = await this.deps.messages.accept(c, frame, body);
      } catch (error) {
        this.failWith(c, error, frame.id);
        return;
      }
      accepted.done.then(
        (ts) => {
          this.deps.metrics?.messageStored('user' in frame.to ? 'user' : 'group');
          this.push(c, `{"type":"sent","id":${JSON.stringify(frame.id)},"ts":${ts}}`);
        },
        (error: unknown) => this.failWith(c, error, frame.id),
      );
    };
    this.inOrder(c, run);
  }

  /** Runs `step` once the socket's previous steps are done; steps never reject. */
  private inOrder(c: Connection, step: () => Promise<void>): void {
    const tail = c.tail === null ? step() : c.tail.then(step);
    c.tail = tail;
    void tail.then(() => {
      if (c.tail === tail) c.tail = null;
    });
  }

  /** Acks are coalesced: while one is applied, later ones only raise the target. */
  private requestAck(c: Connection, seq: number): void {
    // An ack beyond what was sent counts as an ack of what was sent.
    const upto = Math.min(seq, c.lastSent);
    if (upto <= c.ackWanted) return;
    c.ackWanted = upto;
    if (c.acking === null) c.acking = this.runAcks(c);
  }

  private async runAcks(c: Connection): Promise<void> {
    let applied = 0;
    try {
      while (c.ackWanted > applied) {
        const target = c.ackWanted;
        await this.deps.messages.ack(c, target);
        applied = target;
      }
    } catch (error) {
      this.deps.logger.error({ err: error, deviceId: c.deviceId }, 'chat: ack failed');
      // Not applied: the items stay and come again on the next connection.
      c.ackWanted = applied;
    } finally {
      c.acking = null;
    }
  }

  // ------------------------------------------------------------------ delivery

  private onBus(event: ChatBusEvent): void {
    switch (event.kind) {
      case 'items': {
        const c = this.byDevice.get(event.deviceId);
        if (c !== undefined) this.deliver(c, event.items);
        return;
      }
      case 'frame':
        for (const deviceId of event.deviceIds) {
          const c = this.byDevice.get(deviceId);
          if (c !== undefined && c.state === State.Open) this.push(c, event.frame);
        }
        return;
      case 'disconnect': {
        if (event.reason === 'revoked') this.revoked.set(event.deviceId, Date.now());
        const c = this.byDevice.get(event.deviceId);
        if (c === undefined || c.id === event.keep) return;
        if (event.reason === 'revoked') {
          this.drop(
            c,
            'SESSION_REVOKED',
            WS_CLOSE.SESSION_REVOKED,
            "This device's session was revoked.",
          );
        } else {
          this.drop(
            c,
            'SESSION_REPLACED',
            WS_CLOSE.SESSION_REPLACED,
            'This device connected again elsewhere.',
          );
        }
        return;
      }
      case 'blocks-changed':
        return;
      case 'resync':
        // Wakes may have been lost while the bus was down: every socket reads its inbox
        // after what it was sent last (a socket still syncing does so on its own).
        for (const c of this.byDevice.values()) {
          if (c.state === State.Open && c.synced) void this.pull(c);
        }
        return;
    }
  }

  /** New items for a socket: written at once when they come next, else read from the store. */
  private deliver(c: Connection, items: readonly InboxItem[]): void {
    if (c.state !== State.Open) return;
    if (c.pulling || !c.synced) {
      c.wakeAgain = true;
      return;
    }
    let expected = c.lastSent + 1;
    for (const item of items) {
      if (item.seq < expected) continue;
      if (item.seq !== expected) {
        void this.pull(c);
        return;
      }
      this.push(c, itemFrame(item.seq, item.payload));
      if (c.state !== State.Open) return;
      c.lastSent = item.seq;
      expected++;
    }
  }

  /** Reads the inbox after the last seq sent, a page at a time, until it is empty. */
  private async pull(c: Connection): Promise<void> {
    if (c.pulling) {
      c.wakeAgain = true;
      return;
    }
    c.pulling = true;
    try {
      do {
        c.wakeAgain = false;
        const page = await this.deps.inbox.read(
          c.deviceId,
          c.lastSent,
          this.options.backlogPage,
          this.deps.clock.now(),
        );
        if (c.state !== State.Open) return;
        const frames: string[] = [];
        let bytes = 0;
        let cut = false;
        let newest = c.lastSent;
        for (const item of page) {
          if (item.seq <= newest) continue;
          const frame = itemFrame(item.seq, item.payload);
          frames.push(frame);
          newest = item.seq;
          bytes += frame.length;
          // The rest of a page too large for the send buffer is read again later.
          if (bytes > this.pageBytes) {
            cut = true;
            break;
          }
        }
        if (frames.length > 0) {
          this.cork(c);
          for (let i = 0; i < frames.length - 1; i++) c.ws.send(frames[i]!);
          c.lastSent = newest;
          // The next page is read once this one has been handed to the kernel.
          await new Promise<void>((resolve) =>
            c.ws.send(frames[frames.length - 1]!, () => resolve()),
          );
        }
        if (c.state !== State.Open) return;
        if (cut || page.length === this.options.backlogPage) {
          c.wakeAgain = true;
          continue;
        }
        if (!c.synced) {
          c.synced = true;
          this.push(c, `{"type":"synced","seq":${c.lastSent}}`);
          this.sendPresenceSnapshot(c);
        }
      } while (c.wakeAgain && c.state === State.Open);
    } catch (error) {
      this.deps.logger.error({ err: error, deviceId: c.deviceId }, 'chat: cannot read an inbox');
      this.drop(c, 'INTERNAL', 1011, 'Something went wrong on our side; reconnect.');
    } finally {
      c.pulling = false;
    }
  }

  private sendPresenceSnapshot(c: Connection): void {
    const snapshot = c.presence;
    c.presence = null;
    void snapshot?.then((frames) => {
      for (const frame of frames) this.push(c, frame);
    });
  }

  // ------------------------------------------------------------------ writing and closing

  /**
   * Holds a socket's writes until the end of this turn, so that the frames it gets in
   * one turn (a `msg`, a `sent` and a `receipt` out of one commit, say) leave in one
   * `writev` instead of one system call each.
   */
  private cork(c: Connection): void {
    if (c.corked) return;
    c.corked = true;
    c.socket.cork();
    this.corked.push(c);
    if (this.corked.length === 1) process.nextTick(this.uncorkAll);
  }

  private readonly uncorkAll = (): void => {
    const corked = this.corked;
    this.corked = [];
    for (const c of corked) {
      c.corked = false;
      c.socket.uncork();
    }
  };

  /** Writes a frame; a socket whose unsent bytes pass the limit is dropped. */
  private push(c: Connection, frame: string): void {
    if (c.state === State.Closed || c.ws.readyState !== WebSocket.OPEN) return;
    this.cork(c);
    c.ws.send(frame);
    if (c.ws.bufferedAmount > this.options.sendBufferBytes) {
      this.drop(
        c,
        'SLOW_CONSUMER',
        WS_CLOSE.SLOW_CONSUMER,
        'You read too slowly; your messages wait in your inbox.',
      );
    }
  }

  /** Answers a frame with an error and keeps the socket. */
  private fail(c: Connection, code: ErrorCode, message: string, id?: string): void {
    this.push(c, errorFrame(code, message, id));
  }

  private failWith(c: Connection, error: unknown, id: string | undefined): void {
    if (error instanceof AppError) {
      this.fail(c, error.code, error.message, id);
      return;
    }
    this.deps.logger.error({ err: error, deviceId: c.deviceId }, 'chat: a frame failed');
    this.fail(c, 'INTERNAL', 'Something went wrong on our side.', id);
  }

  /** Sends an error frame and closes the socket with `closeCode`. */
  private drop(c: Connection, code: ErrorCode, closeCode: number, message: string): void {
    if (c.state === State.Closed) return;
    const ws = c.ws;
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(errorFrame(code, message));
      // A socket paused during authentication must read the peer's close frame.
      ws.resume();
      ws.close(closeCode, code);
      const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      cut.unref();
      ws.once('close', () => clearTimeout(cut));
    }
    this.closed(c);
  }

  /** Forgets a socket (closed by either side); idempotent. */
  closed(c: Connection): void {
    if (c.state === State.Closed) {
      if (this.all.delete(c) && this.all.size === 0) this.allClosed?.();
      return;
    }
    const wasOpen = c.state === State.Open;
    c.state = State.Closed;
    this.openCount--;
    this.awaitingAuth.delete(c);
    c.early = null;
    if (this.byDevice.get(c.deviceId) === c) this.byDevice.delete(c.deviceId);
    this.keepBucket(c);
    // At shutdown every socket goes at once: no storm of presence updates (clients
    // reconnect at once; in scale-out the presence store's TTLs settle the rest).
    if (wasOpen && !this.shuttingDown) {
      this.deps.presence
        .disconnected(c, c.id)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: error }, 'chat: presence update failed'),
        );
    }
    if (c.ws.readyState === WebSocket.CLOSED && this.all.delete(c) && this.all.size === 0) {
      this.allClosed?.();
    }
  }

  /** A socket-level error (a reset, a protocol violation): the socket is gone. */
  socketError(c: Connection, error: Error): void {
    this.deps.logger.debug({ err: error, deviceId: c.deviceId }, 'chat: socket error');
    this.closed(c);
  }

  private beat(): void {
    const slot = this.tick;
    this.tick = (this.tick + 1) % HEARTBEAT_SLICES;
    for (const c of this.all) {
      if (c.slot !== slot || c.ws.readyState !== WebSocket.OPEN) continue;
      if (!c.alive) {
        c.ws.terminate();
        this.closed(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** Closes every socket (1001) and waits for them, briefly; the app is closing. */
  async close(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.heartbeat);
    clearInterval(this.authSweep);
    this.unsubscribe();
    if (this.all.size > 0) {
      const done = new Promise<void>((resolve) => {
        this.allClosed = resolve;
      });
      for (const c of this.all) {
        if (c.ws.readyState === WebSocket.OPEN)
          c.ws.close(WS_CLOSE.SHUTTING_DOWN, 'server shutting down');
        this.closed(c);
      }
      const timer = setTimeout(() => {
        for (const c of this.all) c.ws.terminate();
      }, SHUTDOWN_GRACE_MS);
      await done;
      clearTimeout(timer);
    }
    this.wss.close();
  }
}

/** The `id` of a parsed frame, when it has a plausible one, for error answers. */
function idIn(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const id = (json as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
}
