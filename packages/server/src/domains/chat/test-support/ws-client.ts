import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** The text of a message as ws hands it over. */
function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** A frame as received: parsed JSON with a `type`. */
export type Frame = { type: string; [key: string]: unknown };

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A raw WebSocket client for the gateway tests: it keeps every frame received, lets a
 * test take frames matching a condition (waiting for them), and knows how the socket
 * closed. Frames stay in arrival order; `take` consumes the first match.
 */
export class TestSocket {
  readonly frames: Frame[] = [];
  private readonly taken = new Set<number>();
  private readonly waiters = new Set<() => void>();
  closeInfo: { code: number; reason: string } | null = null;
  /** WebSocket pings received from the server (the ws client answers them itself). */
  pings = 0;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(rawText(data)) as Frame);
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) };
        this.notify();
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => undefined);
    ws.on('ping', () => {
      this.pings++;
      this.notify();
    });
  }

  /** Opens a socket to `/ws` of a server. */
  static open(baseUrl: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, options);
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  /** Opens a socket and authenticates it; resolves with the `ready` frame. */
  static async connect(
    baseUrl: string,
    token: string,
    after = 0,
  ): Promise<TestSocket & { ready: Frame }> {
    const socket = await TestSocket.open(baseUrl);
    socket.send({ type: 'auth', token, after });
    const ready = await socket.take((f) => f.type === 'ready' || f.type === 'error');
    if (ready.type !== 'ready') throw new Error(`auth refused: ${JSON.stringify(ready)}`);
    return Object.assign(socket, { ready });
  }

  /** Sends a frame (an object as JSON, or a string as it is). */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a message and waits for its `sent` (or its `error`). */
  async sendMessage(
    to: { user: string } | { group: string },
    body: unknown,
    id: string = randomUUID(),
  ) {
    this.send({ type: 'send', id, to, body });
    return this.take((f) => (f.type === 'sent' || f.type === 'error') && f.id === id);
  }

  /** The first frame not yet taken that matches, waiting for it if need be. */
  async take(match: (frame: Frame) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    const found = await this.until(() => {
      const index = this.frames.findIndex((f, i) => !this.taken.has(i) && match(f));
      return index === -1 ? undefined : index;
    }, timeoutMs);
    this.taken.add(found);
    return this.frames[found]!;
  }

  /** Takes `count` matching frames, in order. */
  async takeAll(count: number, match: (frame: Frame) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const out: Frame[] = [];
    for (let i = 0; i < count; i++) out.push(await this.take(match, timeoutMs));
    return out;
  }

  /**
   * Waits until everything the server wrote to this socket before now has arrived:
   * a ping with a fresh nonce, answered after whatever was queued before it.
   */
  async barrier(): Promise<void> {
    const nonce = randomUUID();
    this.send({ type: 'ping', nonce });
    await this.take((f) => f.type === 'pong' && f.nonce === nonce);
  }

  /** Frames received and not taken that match. */
  pending(match: (frame: Frame) => boolean = () => true): Frame[] {
    return this.frames.filter((f, i) => !this.taken.has(i) && match(f));
  }

  /** Waits until the server has pinged this socket `count` times in all. */
  async waitForPings(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => (this.pings >= count ? true : undefined), timeoutMs);
  }

  /** Waits for the socket to close; resolves with its code and reason. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closeInfo ?? undefined, timeoutMs);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close();
    }
  }

  private until<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(attempt);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(attempt);
        reject(
          new Error(
            `timed out; received: ${JSON.stringify(this.frames.slice(-10))}, closed: ${JSON.stringify(this.closeInfo)}`,
          ),
        );
      }, timeoutMs);
      if (!attempt()) this.waiters.add(attempt);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
