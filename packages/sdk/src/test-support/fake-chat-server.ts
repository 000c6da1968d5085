import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClientFrame,
  WS_CLOSE,
  type Address,
  type InboxFrame,
  type ServerFrame,
} from '@switchboard/shared';
import { WebSocketServer, type WebSocket } from 'ws';

type Item = InboxFrame;

interface Device {
  readonly userId: string;
  readonly deviceId: string;
  readonly token: string;
  revoked: boolean;
  nextSeq: number;
  inbox: Item[];
  socket: WebSocket | null;
  /** Highest seq written to the socket (items after it are sent when they arrive). */
  lastSent: number;
}

/**
 * A small chat server that follows docs/protocol.md, for the SDK's tests while the real
 * one is being built, and for fault injection the real one cannot do (dropping a socket
 * without a close frame). In memory; one process.
 */
export class FakeChatServer {
  readonly #http = http.createServer((_req, res) => res.writeHead(404).end());
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #devices = new Map<string, Device>();
  readonly #byToken = new Map<string, Device>();
  readonly #groups = new Map<string, Set<string>>();
  readonly #sent = new Map<string, number>();
  readonly #delivered = new Set<string>();
  readonly #readReceipts = new Set<string>();
  /** Every `send` frame accepted, by `user/id`, with its envelope (for assertions). */
  readonly accepted = new Map<
    string,
    { from: { user: string; device: string }; to: Address; body: unknown; ts: number }
  >();
  heartbeatMs = 25_000;
  /**
   * Fault injection: every Nth envelope is written twice under two seqs, as an
   * at-least-once fan-out may do after a retry (0: never).
   */
  duplicateEvery = 0;
  #appended = 0;
  /** Frames received from clients, for assertions. */
  readonly received: Array<{ deviceId: string; frame: ClientFrame }> = [];

  private constructor() {
    this.#http.on('upgrade', (request, socket, head) => {
      if (request.url !== '/ws') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
    });
  }

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(): Promise<FakeChatServer> {
    const server = new FakeChatServer();
    await new Promise<void>((resolve) => server.#http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  /** A new device (a login) of `userId`: its session. */
  addDevice(userId: string): { userId: string; deviceId: string; token: string } {
    const device: Device = {
      userId,
      deviceId: `${userId}-d${randomUUID().slice(0, 8)}`,
      token: randomUUID(),
      revoked: false,
      nextSeq: 1,
      inbox: [],
      socket: null,
      lastSent: 0,
    };
    this.#devices.set(device.deviceId, device);
    this.#byToken.set(device.token, device);
    return { userId, deviceId: device.deviceId, token: device.token };
  }

  /** A group with these members; answers its id. */
  addGroup(members: readonly string[]): string {
    const groupId = `g-${randomUUID().slice(0, 8)}`;
    this.#groups.set(groupId, new Set(members));
    return groupId;
  }

  /** Revokes a device's token: its socket is closed with 4004. */
  revoke(deviceId: string): void {
    const device = this.#devices.get(deviceId);
    if (device === undefined) return;
    device.revoked = true;
    device.socket?.send(
      JSON.stringify({ type: 'error', code: 'SESSION_REVOKED', message: 'revoked' }),
    );
    device.socket?.close(WS_CLOSE.SESSION_REVOKED);
  }

  /** Cuts a device's TCP connection without a close frame (a network loss). */
  cut(deviceId: string): void {
    this.#devices.get(deviceId)?.socket?.terminate();
  }

  /** Items waiting in a device's inbox (not yet acknowledged). */
  inboxOf(deviceId: string): readonly Item[] {
    return this.#devices.get(deviceId)?.inbox ?? [];
  }

  /** Whether a device has a socket open now. */
  isOnline(deviceId: string): boolean {
    return this.#devices.get(deviceId)?.socket != null;
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #accept(ws: WebSocket): void {
    let device: Device | null = null;
    ws.on('message', (data: Buffer) => {
      let frame: ClientFrame;
      try {
        const parsed = ClientFrame.safeParse(JSON.parse(data.toString('utf8')));
        if (!parsed.success) throw new Error('bad frame');
        frame = parsed.data;
      } catch {
        send(ws, { type: 'error', code: 'INVALID_FRAME', message: 'invalid frame' });
        return;
      }
      if (device === null) {
        if (frame.type !== 'auth') {
          send(ws, { type: 'error', code: 'AUTH_REQUIRED', message: 'auth first' });
          ws.close(WS_CLOSE.AUTH_TIMEOUT);
          return;
        }
        const found = this.#byToken.get(frame.token);
        if (found === undefined || found.revoked) {
          send(ws, { type: 'error', code: 'AUTH_FAILED', message: 'bad token' });
          ws.close(WS_CLOSE.AUTH_FAILED);
          return;
        }
        device = found;
        this.#authenticate(device, ws, frame.after);
        return;
      }
      this.received.push({ deviceId: device.deviceId, frame });
      this.#handle(device, ws, frame);
    });
    ws.on('close', () => {
      if (device?.socket === ws) device.socket = null;
    });
  }

  #authenticate(device: Device, ws: WebSocket, after: number): void {
    const previous = device.socket;
    if (previous !== null) {
      send(previous, { type: 'error', code: 'SESSION_REPLACED', message: 'replaced' });
      previous.close(WS_CLOSE.SESSION_REPLACED);
    }
    device.socket = ws;
    this.#ack(device, after);
    send(ws, {
      type: 'ready',
      userId: device.userId,
      deviceId: device.deviceId,
      heartbeatMs: this.heartbeatMs,
    });
    device.lastSent = after;
    this.#pushPending(device);
    send(ws, { type: 'synced', seq: device.lastSent });
  }

  #handle(device: Device, ws: WebSocket, frame: ClientFrame): void {
    switch (frame.type) {
      case 'auth':
        send(ws, { type: 'error', code: 'ALREADY_AUTHENTICATED', message: 'already' });
        return;
      case 'ping':
        send(ws, { type: 'pong', ...(frame.nonce === undefined ? {} : { nonce: frame.nonce }) });
        return;
      case 'ack':
        this.#ack(device, Math.min(frame.seq, device.lastSent));
        return;
      case 'typing':
        for (const target of this.#recipients(device, frame.to)) {
          if (target.socket !== null)
            send(target.socket, {
              type: 'typing',
              from: { user: device.userId, device: device.deviceId },
              to: frame.to,
              state: frame.state,
            });
        }
        return;
      case 'read':
        for (const id of frame.ids) this.#read(device, id);
        return;
      case 'send': {
        const key = `${device.userId}/${frame.id}`;
        const existing = this.#sent.get(key);
        if (existing !== undefined) {
          send(ws, { type: 'sent', id: frame.id, ts: existing });
          return;
        }
        if ('group' in frame.to) {
          const members = this.#groups.get(frame.to.group);
          if (members === undefined) {
            send(ws, { type: 'error', id: frame.id, code: 'GROUP_NOT_FOUND', message: 'no group' });
            return;
          }
          if (!members.has(device.userId)) {
            send(ws, {
              type: 'error',
              id: frame.id,
              code: 'NOT_A_MEMBER',
              message: 'not a member',
            });
            return;
          }
        } else if (
          ![...this.#devices.values()].some((d) => d.userId === (frame.to as { user: string }).user)
        ) {
          send(ws, {
            type: 'error',
            id: frame.id,
            code: 'RECIPIENT_UNAVAILABLE',
            message: 'unavailable',
          });
          return;
        }
        const ts = Date.now();
        this.#sent.set(key, ts);
        const from = { user: device.userId, device: device.deviceId };
        this.accepted.set(key, { from, to: frame.to, body: frame.body, ts });
        for (const target of this.#recipients(device, frame.to)) {
          this.#append(target, {
            type: 'msg',
            seq: 0,
            id: frame.id,
            from,
            to: frame.to,
            ts,
            body: frame.body,
          });
        }
        send(ws, { type: 'sent', id: frame.id, ts });
        return;
      }
    }
  }

  /** Every device a frame to `to` goes to, except the sending device. */
  #recipients(sender: Device, to: Address): Device[] {
    const users =
      'group' in to ? [...(this.#groups.get(to.group) ?? [])] : [to.user, sender.userId];
    return [...this.#devices.values()].filter(
      (d) => users.includes(d.userId) && d.deviceId !== sender.deviceId && !d.revoked,
    );
  }

  #append(device: Device, item: Item): void {
    device.inbox.push({ ...item, seq: device.nextSeq++ });
    this.#appended += 1;
    if (this.duplicateEvery > 0 && this.#appended % this.duplicateEvery === 0) {
      device.inbox.push({ ...item, seq: device.nextSeq++ });
    }
    this.#pushPending(device);
  }

  #pushPending(device: Device): void {
    if (device.socket === null) return;
    for (const item of device.inbox) {
      if (item.seq > device.lastSent) {
        send(device.socket, item);
        device.lastSent = item.seq;
      }
    }
  }

  #ack(device: Device, seq: number): void {
    const acked = device.inbox.filter((item) => item.seq <= seq);
    device.inbox = device.inbox.filter((item) => item.seq > seq);
    for (const item of acked) {
      if (item.type !== 'msg' || item.from.user === device.userId) continue;
      const once = `${item.from.user}/${item.id}/${device.userId}`;
      if (this.#delivered.has(once)) continue;
      this.#delivered.add(once);
      for (const target of this.#devicesOf(item.from.user)) {
        this.#append(target, {
          type: 'receipt',
          seq: 0,
          id: item.id,
          status: 'delivered',
          by: device.userId,
          ts: Date.now(),
          to: item.to,
        });
      }
    }
  }

  #read(reader: Device, id: string): void {
    const original = [...this.accepted.entries()].find(([key]) => key.endsWith(`/${id}`));
    if (original === undefined) return;
    const [, envelope] = original;
    const once = `${envelope.from.user}/${id}/${reader.userId}`;
    if (this.#readReceipts.has(once) || envelope.from.user === reader.userId) return;
    this.#readReceipts.add(once);
    const receipt = {
      type: 'receipt' as const,
      seq: 0,
      id,
      status: 'read' as const,
      by: reader.userId,
      ts: Date.now(),
      to: envelope.to,
    };
    for (const target of this.#devicesOf(envelope.from.user)) this.#append(target, receipt);
    for (const target of this.#devicesOf(reader.userId)) {
      if (target !== reader) this.#append(target, receipt);
    }
  }

  #devicesOf(userId: string): Device[] {
    return [...this.#devices.values()].filter((d) => d.userId === userId && !d.revoked);
  }
}

function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}
