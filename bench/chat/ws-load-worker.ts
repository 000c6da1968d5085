import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import WebSocket from 'ws';
import { newMessageId } from '../../packages/sdk/src/model.js';
import { LatencyRecorder } from '../lib/latency.js';
import type {
  CommandMessage,
  CommandName,
  Commands,
  DeviceSpec,
  DirectResult,
  DrainResult,
  EventMessage,
  LoadStats,
  ReplyMessage,
} from './load-protocol.js';

/**
 * One load-generator process of the chat benchmark: a lean client on raw `ws` (not the
 * SDK, so that the figures are the server's, not the client library's), driven by the
 * coordinator over IPC. It speaks the protocol as a careful client does: it
 * authenticates, acknowledges every inbox item cumulatively once per event-loop turn,
 * and checks what it receives for duplicates and order.
 *
 * Message bodies are small JSON objects with a 64-byte pad (a short message's
 * ciphertext is about that size): `{ k: kind, t: sent at, n | g | i: number, p }`.
 * Message ids are the SDK's own (`newMessageId`: time-ordered UUIDv7s, random after
 * the millisecond, so unique across processes), so that the server stores what SDK
 * traffic makes it store.
 */

const PAD = 'x'.repeat(64);

/** Epoch milliseconds with microsecond fractions, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

/** A frame as received; only the fields the generator reads. */
interface Frame {
  type: string;
  seq?: number;
  id?: string;
  code?: string;
  message?: string;
  body?: { k?: string; t?: number; n?: number; g?: number; i?: number };
}

class Device {
  socket: WebSocket | null = null;
  synced = false;
  lastSeq = 0;
  ackQueued = false;
  /** The number of this device's next 1:1 message. */
  nextDirect = 0;
  /** The number expected next from the peer. */
  expectFromPeer = 0;
  fillSent = 0;
  fillAnswered = 0;
  fillOrdinal = 0;
  onSynced: (() => void) | null = null;
  onReady: (() => void) | null = null;

  constructor(
    readonly index: number,
    readonly spec: DeviceSpec,
  ) {}
}

let devices: Device[] = [];
let byUser = new Map<string, Device>();

let frames: Record<string, number> = {};
let errors: Record<string, number> = {};
let closes: Record<string, number> = {};
const errorSamples: string[] = [];

// ------------------------------------------------------------------ acknowledgements

const ackQueue: Device[] = [];
let ackFlushScheduled = false;

function flushAcks(): void {
  ackFlushScheduled = false;
  for (const device of ackQueue) {
    device.ackQueued = false;
    if (device.socket?.readyState === WebSocket.OPEN) {
      device.socket.send(`{"type":"ack","seq":${device.lastSeq}}`);
    }
  }
  ackQueue.length = 0;
}

/** Notes an inbox item; its ack goes out with the others at the end of this turn. */
function received(device: Device, seq: number | undefined): void {
  if (seq === undefined) return;
  if (seq > device.lastSeq) device.lastSeq = seq;
  if (device.ackQueued) return;
  device.ackQueued = true;
  ackQueue.push(device);
  if (!ackFlushScheduled) {
    ackFlushScheduled = true;
    setImmediate(flushAcks);
  }
}

// ------------------------------------------------------------------ 1:1 run state

const direct = {
  windowStart: Infinity,
  windowEnd: -Infinity,
  sent: 0,
  sentInWindow: 0,
  delivered: 0,
  deliveredInWindow: 0,
  duplicates: 0,
  reordered: 0,
  sentAcks: 0,
  receipts: 0,
  latency: new LatencyRecorder(),
  sentLatency: new LatencyRecorder(),
  sentAt: new Map<string, number>(),
};

function onDirect(device: Device, body: NonNullable<Frame['body']>): void {
  const at = now();
  direct.delivered++;
  if (at >= direct.windowStart && at < direct.windowEnd) direct.deliveredInWindow++;
  const t = body.t ?? 0;
  if (t >= direct.windowStart && t < direct.windowEnd) direct.latency.record(at - t);
  const n = body.n ?? -1;
  if (n === device.expectFromPeer) device.expectFromPeer++;
  else if (n < device.expectFromPeer) direct.duplicates++;
  else {
    direct.reordered++;
    device.expectFromPeer = n + 1;
  }
}

// ------------------------------------------------------------------ group run state

let group: {
  members: number;
  counts: Uint32Array;
  lastAt: Float64Array;
} | null = null;

function onGroup(body: NonNullable<Frame['body']>): void {
  if (group === null) return;
  const index = body.g ?? -1;
  if (index < 0 || index >= group.counts.length) return;
  const at = now();
  group.counts[index]! += 1;
  if (at > group.lastAt[index]!) group.lastAt[index] = at;
  if (group.counts[index] === group.members) {
    const event: EventMessage = {
      event: 'groupComplete',
      index,
      lastAt: group.lastAt[index]!,
      members: group.members,
    };
    process.send!(event);
  }
}

// ------------------------------------------------------------------ backlog state

let fill: {
  to: string;
  perDevice: number;
  window: number;
  offset: number;
  pending: number;
  done: () => void;
  fail: (reason: string) => void;
} | null = null;

let drain: {
  device: Device;
  seen: Uint8Array;
  received: number;
  duplicates: number;
  done: () => void;
} | null = null;

function sendFill(device: Device): void {
  if (fill === null || device.socket === null) return;
  const i = fill.offset + device.fillOrdinal * fill.perDevice + device.fillSent;
  device.fillSent++;
  device.socket.send(
    `{"type":"send","id":"${newMessageId()}","to":{"user":"${fill.to}"},"body":{"k":"b","t":${now()},"i":${i},"p":"${PAD}"}}`,
  );
}

function onBacklog(device: Device, body: NonNullable<Frame['body']>): void {
  if (drain === null || drain.device !== device) return;
  const i = body.i ?? -1;
  if (i < 0 || i >= drain.seen.length || drain.seen[i] === 1) {
    drain.duplicates++;
    return;
  }
  drain.seen[i] = 1;
  drain.received++;
  if (drain.received === drain.seen.length) drain.done();
}

// ------------------------------------------------------------------ frames

function count(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

function onFrame(device: Device, data: Buffer): void {
  const frame = JSON.parse(data.toString()) as Frame;
  count(frames, frame.type);
  switch (frame.type) {
    case 'msg': {
      received(device, frame.seq);
      const body = frame.body;
      if (body?.k === 'd') onDirect(device, body);
      else if (body?.k === 'g') onGroup(body);
      else if (body?.k === 'b') onBacklog(device, body);
      break;
    }
    case 'receipt':
      direct.receipts++;
      received(device, frame.seq);
      break;
    case 'group':
      received(device, frame.seq);
      break;
    case 'sent': {
      direct.sentAcks++;
      const id = frame.id ?? '';
      const sentAt = direct.sentAt.get(id);
      if (sentAt !== undefined) {
        direct.sentLatency.record(now() - sentAt);
        direct.sentAt.delete(id);
      }
      if (fill !== null && device.fillSent > device.fillAnswered) {
        device.fillAnswered++;
        if (device.fillSent < fill.perDevice) sendFill(device);
        else if (device.fillAnswered === fill.perDevice && --fill.pending === 0) fill.done();
      }
      break;
    }
    case 'ready':
      device.onReady?.();
      break;
    case 'synced':
      device.synced = true;
      device.onSynced?.();
      break;
    case 'error': {
      const code = frame.code ?? 'UNKNOWN';
      count(errors, code);
      if (errorSamples.length < 10) errorSamples.push(`${code}: ${frame.message ?? ''}`);
      // A refused backlog message would never be answered `sent`: say why at once (all
      // the sends of a fill are backlog messages, as its count of answers assumes).
      if (fill !== null && frame.id !== undefined) {
        fill.fail(`${code} for ${frame.id}: ${frame.message ?? ''}`);
      }
      break;
    }
    default:
      break;
  }
}

/** Opens the device's socket and authenticates; resolves on `synced`. */
function open(device: Device, url: string, after: number, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no synced within ${timeoutMs} ms`), timeoutMs);
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      device.socket?.terminate();
      reject(new Error(reason));
    };
    device.onSynced = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve();
    };
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
    });
    device.socket = socket;
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'auth', token: device.spec.token, after })),
    );
    socket.on('message', (data: Buffer) => onFrame(device, data));
    socket.on('error', (error) => fail(error.message));
    socket.on('close', (code) => {
      count(closes, String(code));
      if (device.socket === socket) device.socket = null;
      fail(`closed with ${code} before synced`);
    });
  });
}

function addDevice(spec: DeviceSpec): Device {
  const device = new Device(devices.length, spec);
  devices.push(device);
  byUser.set(spec.userId, device);
  return device;
}

// ------------------------------------------------------------------ commands

type Handlers = {
  [K in CommandName]: (params: Commands[K]['params']) => Promise<Commands[K]['result']>;
};

const handlers: Handlers = {
  async connect({ url, devices: specs, concurrency, timeoutMs }) {
    const started = now();
    const failures: string[] = [];
    let failed = 0;
    let next = 0;
    const lane = async () => {
      while (next < specs.length) {
        const device = addDevice(specs[next++]!);
        try {
          await open(device, url, 0, timeoutMs);
        } catch (error) {
          failed++;
          if (failures.length < 5) failures.push((error as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    return { connected: specs.length - failed, failed, failures, ms: now() - started };
  },

  async direct({ rate, warmupMs, durationMs, drainMs }) {
    const senders = devices.filter(
      (d) => d.spec.peer !== undefined && d.socket !== null && byUser.has(d.spec.peer),
    );
    if (senders.length === 0) throw new Error('no connected device with a local peer');
    direct.sent = 0;
    direct.sentInWindow = 0;
    direct.delivered = 0;
    direct.deliveredInWindow = 0;
    direct.duplicates = 0;
    direct.reordered = 0;
    direct.sentAcks = 0;
    direct.receipts = 0;
    direct.latency.reset();
    direct.sentLatency.reset();
    direct.sentAt.clear();
    errors = {};

    const start = now();
    direct.windowStart = start + warmupMs;
    direct.windowEnd = direct.windowStart + durationMs;
    const loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
    let cpuAtStart: NodeJS.CpuUsage | null = null;
    let cpuInWindow: NodeJS.CpuUsage | null = null;
    let next = 0;

    await new Promise<void>((resolve) => {
      const tick = () => {
        const t = now();
        if (cpuAtStart === null && t >= direct.windowStart) {
          cpuAtStart = process.cpuUsage();
          loopDelay.enable();
        }
        if (t >= direct.windowEnd) {
          clearInterval(timer);
          loopDelay.disable();
          cpuInWindow = process.cpuUsage(cpuAtStart ?? undefined);
          resolve();
          return;
        }
        // Open loop: as many sends as the clock says are due, whatever came back.
        const due = Math.floor(((t - start) * rate) / 1000);
        while (direct.sent < due) {
          const device = senders[next++ % senders.length]!;
          const socket = device.socket;
          direct.sent++;
          if (socket === null || socket.readyState !== WebSocket.OPEN) {
            count(errors, 'SOCKET_CLOSED');
            continue;
          }
          const sentAt = now();
          const n = device.nextDirect++;
          const id = newMessageId();
          if (sentAt >= direct.windowStart) {
            direct.sentInWindow++;
            direct.sentAt.set(id, sentAt);
          }
          socket.send(
            `{"type":"send","id":"${id}","to":{"user":"${device.spec.peer}"},"body":{"k":"d","t":${sentAt},"n":${n},"p":"${PAD}"}}`,
          );
        }
      };
      const timer = setInterval(tick, 1);
    });

    const drainUntil = now() + drainMs;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (direct.delivered >= direct.sent || now() > drainUntil) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    const cpu = cpuInWindow as NodeJS.CpuUsage | null;
    const result: DirectResult = {
      sentInWindow: direct.sentInWindow,
      deliveredInWindow: direct.deliveredInWindow,
      sent: direct.sent,
      delivered: direct.delivered,
      duplicates: direct.duplicates,
      reordered: direct.reordered,
      sentAcks: direct.sentAcks,
      receipts: direct.receipts,
      latency: direct.latency.encode(),
      sentLatency: direct.sentLatency.encode(),
      loopDelayP99: loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0,
      cores: cpu ? (cpu.user + cpu.system) / 1000 / durationMs : 0,
      errors: { ...errors },
    };
    direct.windowStart = Infinity;
    direct.windowEnd = -Infinity;
    return result;
  },

  groupExpect({ count: messages, sender }) {
    const members = devices.filter((d) => d.socket !== null && d.spec.userId !== sender).length;
    group = {
      members,
      counts: new Uint32Array(messages),
      lastAt: new Float64Array(messages),
    };
    return Promise.resolve({ members });
  },

  groupSend({ from, group: groupId, first, count: messages }) {
    const device = byUser.get(from);
    if (!device?.socket) throw new Error(`group sender ${from} is not connected here`);
    const sentAt = now();
    for (let g = first; g < first + messages; g++) {
      device.socket.send(
        `{"type":"send","id":"${newMessageId()}","to":{"group":"${groupId}"},"body":{"k":"g","t":${now()},"g":${g},"p":"${PAD}"}}`,
      );
    }
    return Promise.resolve({ sentAt });
  },

  async fill({ to, perDevice, window, timeoutMs, offset }) {
    const senders = devices.filter((d) => d.socket !== null);
    if (senders.length === 0) throw new Error('no connected device to fill from');
    errors = {};
    const started = now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fill: not every send was answered within ${timeoutMs} ms`)),
        timeoutMs,
      );
      fill = {
        to,
        perDevice,
        window,
        offset,
        pending: senders.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (reason) => {
          clearTimeout(timer);
          reject(new Error(`fill: ${reason}`));
        },
      };
      senders.forEach((device, ordinal) => {
        device.fillOrdinal = ordinal;
        device.fillSent = 0;
        device.fillAnswered = 0;
        for (let i = 0; i < Math.min(window, perDevice); i++) sendFill(device);
      });
    }).finally(() => (fill = null));
    return { sent: senders.length * perDevice, ms: now() - started };
  },

  async drain({ url, device: spec, expected, timeoutMs }) {
    const device = addDevice(spec);
    let readyAt = 0;
    let syncedAt: number | null = null;
    const started = now();
    device.onReady = () => (readyAt = now());
    const done = new Promise<number>((resolve) => {
      drain = {
        device,
        seen: new Uint8Array(expected),
        received: 0,
        duplicates: 0,
        done: () => {
          // The last ack goes out now, not at the end of the turn, and counts once written.
          device.ackQueued = false;
          device.socket!.send(`{"type":"ack","seq":${device.lastSeq}}`, () => resolve(now()));
        },
      };
    });
    const synced = open(device, url, 0, timeoutMs).then(() => (syncedAt = now()));
    const finishedAt = await Promise.race([
      done,
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(
                `drain: ${drain?.received ?? 0} of ${expected} items within ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        ),
      ),
    ]);
    await synced.catch(() => undefined);
    const result: DrainResult = {
      readyMs: readyAt - started,
      drainMs: finishedAt - started,
      syncedMs: syncedAt === null ? null : syncedAt - started,
      received: drain?.received ?? 0,
      duplicates: drain?.duplicates ?? 0,
    };
    drain = null;
    return result;
  },

  async closeAll() {
    const open = devices.filter((d) => d.socket !== null);
    await Promise.all(
      open.map(
        (d) =>
          new Promise<void>((resolve) => {
            const socket = d.socket!;
            const timer = setTimeout(() => socket.terminate(), 5000);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.close(1000);
          }),
      ),
    );
    devices = [];
    byUser = new Map();
    group = null;
    return { closed: open.length };
  },

  stats() {
    const stats: LoadStats = { frames, errors, closes, errorSamples: errorSamples.splice(0) };
    frames = {};
    errors = {};
    closes = {};
    return Promise.resolve(stats);
  },
};

process.on('message', (message: CommandMessage) => {
  const handler = handlers[message.command] as (params: unknown) => Promise<unknown>;
  handler(message.params).then(
    (result) => process.send!({ id: message.id, ok: true, result } satisfies ReplyMessage),
    (error: unknown) =>
      process.send!({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies ReplyMessage),
  );
});
// The coordinator going away ends this process too.
process.on('disconnect', () => process.exit(0));
