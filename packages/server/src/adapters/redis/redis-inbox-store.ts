import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  Appended,
  Delivery,
  DeliveryResult,
  InboxItem,
  InboxStore,
  MessageRef,
} from '../../domains/chat/inbox-store.js';
import { INBOX_SCRIPTS } from './redis-inbox-scripts.js';

/** A write to this many devices or more keeps its payload once, in an envelope. */
const ENVELOPE_MIN_DEVICES = 4;
/**
 * A payload this large goes in an envelope even for one device: a mirrored write then
 * sends it to the second store while the first one is fixing the seqs.
 */
const ENVELOPE_MIN_BYTES = 2_048;
/** Entries of each kind the sweep deletes per script call, so that Redis never stalls. */
const SWEEP_CHUNK = 1_000;
/** Keys read or written per script call by a repair copy. */
const COPY_CHUNK = 200;

/**
 * How a write is checked against the mirror's epoch: `a` the store that fixes seqs
 * (its epoch must be the caller's), `f` a store that follows (it refuses an older
 * epoch), `x` a repair (exactly the caller's), `''` a store used alone (no check).
 */
export interface Fence {
  readonly mode: '' | 'a' | 'f' | 'x';
  readonly epoch: number;
  /** The seq base of the mirror state: new seqs start above it (see docs/scaling.md). */
  readonly seqBase: number;
}

/** The fence of a store used alone. */
export const UNFENCED: Fence = { mode: '', epoch: 0, seqBase: 0 };

/** A store refused a write made for an older mirror state: the caller must reload it. */
export class StaleEpochError extends Error {
  override readonly name = 'StaleEpochError';
  constructor(readonly storedEpoch: number) {
    super(`the inbox store is at epoch ${storedEpoch}: the mirror state changed`);
  }
}

/** One payload for some devices, ready for Redis: devices unique, envelope chosen. */
export interface PreparedWrite {
  /** `=<payload>` (kept in each item) or `@<envelope id>`. */
  readonly body: string;
  readonly payload: string;
  readonly envelopeId: string | null;
  readonly message: MessageRef | undefined;
  readonly deviceIds: readonly string[];
}

/** A delivery ready for Redis. */
export interface PreparedDelivery {
  readonly delivery: Delivery;
  readonly writes: readonly PreparedWrite[];
  readonly marks: ReadonlyArray<{
    readonly message: MessageRef;
    readonly writes: readonly PreparedWrite[];
  }>;
}

/** What a store that follows must replay of an applied delivery, with the seqs it got. */
export interface FollowerEffects {
  readonly prepared: PreparedDelivery;
  /** The ack as applied: its seq lowered to the last seq handed out. */
  readonly ackUpto: number;
  readonly writes: ReadonlyArray<{ readonly write: PreparedWrite; readonly seqs: number[] }>;
  /** The receipt marks that applied. */
  readonly marked: readonly MessageRef[];
}

/** A delivery applied where seqs are fixed: the port's answer and what to replay. */
export interface AppliedDelivery {
  readonly result: DeliveryResult;
  /** Null for a duplicate (nothing was written). */
  readonly effects: FollowerEffects | null;
  /** For a duplicate: the mirror epoch its key was first applied at. */
  readonly keyEpoch: number;
}

/** What a repair copies of one device: its counters and a page of its inbox. */
export interface DeviceSnapshot {
  readonly deviceId: string;
  readonly last: string;
  readonly acked: string;
  readonly items: readonly string[];
  readonly refs: readonly string[];
  /** The seq of the page's last item when the inbox goes on after it, else null. */
  readonly next: number | null;
}

/** A batch of devices and the envelopes their items point at. */
export interface DevicesSnapshot {
  readonly devices: readonly DeviceSnapshot[];
  readonly envelopes: ReadonlyArray<readonly [id: string, payload: string, expiresAt: string]>;
}

/** This store's identity and its server process, to tell a restart or a data loss. */
export interface StoreIdentity {
  /** Kept in the store: a store that lost everything comes back with a new one. */
  readonly id: string;
  /** The server's `run_id`: it changes with every restart. */
  readonly runId: string;
}

/** Turns a delivery into the form the scripts take; done once, for both stores. */
export function prepareDelivery(delivery: Delivery): PreparedDelivery {
  return {
    delivery,
    writes: (delivery.writes ?? []).map(prepareWrite),
    marks: (delivery.receipts?.items ?? []).map((item) => ({
      message: item.message,
      writes: item.writes.map(prepareWrite),
    })),
  };
}

function prepareWrite(write: {
  payload: string;
  deviceIds: readonly string[];
  message?: MessageRef;
}): PreparedWrite {
  const deviceIds = [...new Set(write.deviceIds)];
  const shared =
    deviceIds.length >= ENVELOPE_MIN_DEVICES || write.payload.length >= ENVELOPE_MIN_BYTES;
  const envelopeId = shared ? randomUUID() : null;
  return {
    body: envelopeId === null ? `=${write.payload}` : `@${envelopeId}`,
    payload: write.payload,
    envelopeId,
    message: write.message,
    deviceIds,
  };
}

/**
 * The inbox on one Redis server, every delivery one Lua script (atomic on the server).
 * Used alone it is a single store (durable as far as the server's AOF is); the
 * mirrored inbox uses two of them, and the methods after the port's are its tools:
 * fenced writes, replay with given seqs, state records and repair copies.
 *
 * Redis must keep what it acknowledged: run it with `appendonly yes` (see
 * docs/scaling.md for `appendfsync`). Every key starts with `prefix`.
 */
export class RedisInboxStore implements InboxStore {
  private closed = false;

  constructor(
    readonly client: Redis,
    readonly prefix: string,
  ) {}

  async deliver(delivery: Delivery): Promise<DeliveryResult> {
    if (this.closed) throw new Error('the inbox store is closed');
    const applied = await this.apply(prepareDelivery(delivery), UNFENCED);
    return applied.result;
  }

  read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<InboxItem[]> {
    return this.readFenced(deviceId, afterSeq, limit, now, UNFENCED);
  }

  async lastSeq(deviceId: string): Promise<number> {
    return Number((await this.client.hget(`${this.prefix}d:${deviceId}`, 'l')) ?? 0);
  }

  async messagesUpTo(
    deviceId: string,
    uptoSeq: number,
    exceptSender: string,
  ): Promise<MessageRef[]> {
    const refs = await this.client.zrange(
      `${this.prefix}m:${deviceId}`,
      '-inf',
      uptoSeq,
      'BYSCORE',
    );
    const out: MessageRef[] = [];
    for (const ref of refs) {
      const [, senderUserId = '', messageId = '', groupId = ''] = ref.split('\n');
      if (senderUserId === exceptSender) continue;
      out.push({ senderUserId, messageId, groupId: groupId === '' ? null : groupId });
    }
    return out;
  }

  async pendingReceipts(
    recipientUserId: string,
    messageIds: readonly string[],
  ): Promise<MessageRef[]> {
    if (messageIds.length === 0) return [];
    const flat = (await INBOX_SCRIPTS.pendingReceipts.run(
      this.client,
      [this.prefix, recipientUserId].concat([...new Set(messageIds)]),
    )) as string[];
    const out: MessageRef[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const groupId = flat[i + 2]!;
      out.push({
        senderUserId: flat[i]!,
        messageId: flat[i + 1]!,
        groupId: groupId === '' ? null : groupId,
      });
    }
    return out;
  }

  async keyTs(key: string): Promise<number | null> {
    return (await this.keyInfo(key))?.ts ?? null;
  }

  dropDevice(deviceId: string): Promise<void> {
    return this.dropFenced(deviceId, UNFENCED);
  }

  sweep(now: number): Promise<number> {
    return this.sweepFenced(now, UNFENCED);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  // ------------------------------------------------------------------ the mirror's tools

  /**
   * Applies a delivery where seqs are fixed: new seqs start above the fence's seq base
   * (the mirror raises it whenever another store starts fixing seqs).
   */
  async apply(prepared: PreparedDelivery, fence: Fence): Promise<AppliedDelivery> {
    const d = prepared.delivery;
    const args: Array<string | number> = [
      ...this.fenceArgs(fence),
      d.key ?? '',
      d.ts,
      d.expiresAt,
      d.ack?.deviceId ?? '',
      d.ack?.uptoSeq ?? 0,
    ];
    pushExpectation(args, d);
    args.push(prepared.writes.length);
    for (const write of prepared.writes) pushWrite(args, write);
    const receipts = d.receipts;
    args.push(receipts?.status ?? '', receipts?.recipientUserId ?? '', prepared.marks.length);
    for (const mark of prepared.marks) {
      args.push(mark.message.senderUserId, mark.message.messageId, mark.writes.length);
      for (const write of mark.writes) pushWrite(args, write);
    }
    const reply = (await this.run('apply', args)) as Array<number | string>;
    if (Number(reply[0]) === 0) {
      return {
        result: { applied: false, ts: Number(reply[1]), appended: [] },
        effects: null,
        keyEpoch: Number(reply[2]),
      };
    }
    const ackUpto = Number(reply[2]);
    const seqCount = Number(reply[3]);
    const seqs = reply.slice(4, 4 + seqCount).map(Number);
    const flags = reply.slice(4 + seqCount).map(Number);
    const appended: Appended[] = [];
    const writes: Array<{ write: PreparedWrite; seqs: number[] }> = [];
    let next = 0;
    const take = (write: PreparedWrite) => {
      const mine = seqs.slice(next, next + write.deviceIds.length);
      next += write.deviceIds.length;
      write.deviceIds.forEach((deviceId, i) =>
        appended.push({ deviceId, seq: mine[i]!, payload: write.payload }),
      );
      writes.push({ write, seqs: mine });
    };
    for (const write of prepared.writes) take(write);
    const marked: MessageRef[] = [];
    prepared.marks.forEach((mark, i) => {
      if (flags[i] !== 1) return;
      marked.push(mark.message);
      for (const write of mark.writes) take(write);
    });
    return {
      result: { applied: true, ts: d.ts, appended },
      effects: { prepared, ackUpto, writes, marked },
      keyEpoch: fence.epoch,
    };
  }

  /**
   * Replays an applied delivery with the seqs the authority gave. `envelopesSent` when
   * `putEnvelopes` already stored the top-level writes' envelopes here.
   */
  async follow(effects: FollowerEffects, fence: Fence, envelopesSent: boolean): Promise<void> {
    const d = effects.prepared.delivery;
    const args: Array<string | number> = [
      ...this.fenceArgs(fence),
      d.key ?? '',
      d.ts,
      d.expiresAt,
      d.ack === undefined || effects.ackUpto <= 0 ? '' : d.ack.deviceId,
      effects.ackUpto,
    ];
    pushExpectation(args, d);
    const topLevel = new Set(effects.prepared.writes);
    const envelopes = effects.writes.filter(
      ({ write }) => write.envelopeId !== null && !(envelopesSent && topLevel.has(write)),
    );
    args.push(envelopes.length);
    for (const { write } of envelopes) args.push(write.envelopeId!, write.payload);
    args.push(effects.writes.length);
    for (const { write, seqs } of effects.writes) {
      const m = write.message;
      args.push(write.body, m?.senderUserId ?? '', m?.messageId ?? '', m?.groupId ?? '');
      args.push(write.deviceIds.length);
      write.deviceIds.forEach((deviceId, i) => args.push(deviceId, seqs[i]!));
    }
    args.push(d.receipts?.status ?? '', d.receipts?.recipientUserId ?? '', effects.marked.length);
    for (const m of effects.marked) args.push(m.senderUserId, m.messageId, m.groupId ?? '');
    await this.run('follow', args);
  }

  /** Stores the envelopes of a delivery's writes ahead of its items (see `follow`). */
  async putEnvelopes(prepared: PreparedDelivery, fence: Fence): Promise<boolean> {
    const args: Array<string | number> = [...this.fenceArgs(fence), 0];
    let n = 0;
    for (const write of prepared.writes) {
      if (write.envelopeId === null) continue;
      args.push(write.envelopeId, write.payload, prepared.delivery.expiresAt);
      n++;
    }
    if (n === 0) return false;
    args[4] = n;
    await this.run('envelopes', args);
    return true;
  }

  /** `read`, refused if this store's epoch is not the caller's (mode `a`). */
  async readFenced(
    deviceId: string,
    afterSeq: number,
    limit: number,
    now: number,
    fence: Fence,
  ): Promise<InboxItem[]> {
    if (limit <= 0) return [];
    const flat = (await this.run('read', [
      ...this.fenceArgs(fence),
      deviceId,
      afterSeq,
      limit,
      now,
    ])) as Array<number | string>;
    const items: InboxItem[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      items.push({ seq: Number(flat[i]), payload: String(flat[i + 1]) });
    }
    return items;
  }

  /** `dropDevice` with a fence. */
  async dropFenced(deviceId: string, fence: Fence): Promise<void> {
    await this.run('drop', [...this.fenceArgs(fence), deviceId]);
  }

  /** `sweep` with a fence. */
  async sweepFenced(now: number, fence: Fence): Promise<number> {
    let items = 0;
    for (;;) {
      const [deleted, more] = (await this.run('sweep', [
        ...this.fenceArgs(fence),
        SWEEP_CHUNK,
        now,
      ])) as [number, number];
      items += Number(deleted);
      if (Number(more) === 0) return items;
    }
  }

  /** An idempotency key's ts and the mirror epoch it was applied at, or null. */
  async keyInfo(key: string): Promise<{ ts: number; epoch: number } | null> {
    const value = await this.client.get(`${this.prefix}k:${key}`);
    if (value === null) return null;
    const colon = value.indexOf(':');
    return { ts: Number(value.slice(0, colon)), epoch: Number(value.slice(colon + 1)) };
  }

  /** This store's identity and its server's run id (the id is created on first contact). */
  async identify(): Promise<StoreIdentity> {
    const [id, runId] = (await INBOX_SCRIPTS.identify.run(this.client, [
      this.prefix,
      randomUUID(),
    ])) as [string, string];
    return { id, runId };
  }

  /** The mirror state record kept here, with its epoch, or null if there is none. */
  async loadState(): Promise<{ epoch: number; json: string } | null> {
    const [epoch, json] = await this.client.mget(`${this.prefix}epoch`, `${this.prefix}state`);
    if (epoch == null || json == null) return null;
    return { epoch: Number(epoch), json };
  }

  /**
   * Stores a mirror state unless this store already has one at least as new, with the
   * seq base follow writes must carry, whether read marks leave tombstones here (while
   * it is repaired), and, if given, the oldest epoch a follow write may come from.
   */
  async storeState(
    record: { epoch: number; json: string; seqBase: number },
    tombstones: boolean,
    minEpoch: number | null,
  ): Promise<{ stored: true } | { stored: false; epoch: number; json: string }> {
    const reply = (await INBOX_SCRIPTS.stateCas.run(this.client, [
      this.prefix,
      record.epoch,
      record.json,
      record.seqBase,
      tombstones ? '1' : '0',
      minEpoch ?? '',
    ])) as [number, string?, string?];
    if (Number(reply[0]) === 1) return { stored: true };
    return { stored: false, epoch: Number(reply[1]), json: reply[2] ?? '' };
  }

  /** Takes or renews the repair lease for `owner`; true if it holds it. */
  async lease(owner: string, ms: number): Promise<boolean> {
    return Number(await INBOX_SCRIPTS.lease.run(this.client, [this.prefix, owner, ms])) === 1;
  }

  /** Gives the repair lease back. */
  async unlease(owner: string): Promise<void> {
    await INBOX_SCRIPTS.unlease.run(this.client, [this.prefix, owner]);
  }

  /** Deletes every inbox key of this store (not its identity, state or lease). */
  async wipe(fence: Fence): Promise<number> {
    const keep = new Set(
      ['epoch', 'state', 'id', 'repair', 'base', 'minepoch', 'tomb'].map((k) => this.prefix + k),
    );
    let deleted = 0;
    await this.scan('*', async (keys) => {
      const doomed = keys.filter((k) => !keep.has(k));
      if (doomed.length === 0) return;
      await this.run('unlink', this.fenceArgs(fence).concat(doomed));
      deleted += doomed.length;
    });
    return deleted;
  }

  /** Calls `visit` with the names (after `P d:`) of every device this store knows, in batches. */
  async scanDevices(visit: (deviceIds: string[]) => Promise<void>): Promise<void> {
    const start = `${this.prefix}d:`.length;
    await this.scan('d:*', (keys) => visit(keys.map((k) => k.slice(start))));
  }

  /** Calls `visit` with the idempotency keys (without prefix) of this store, in batches. */
  async scanKeys(visit: (keys: string[]) => Promise<void>): Promise<void> {
    const start = `${this.prefix}k:`.length;
    await this.scan('k:*', (keys) => visit(keys.map((k) => k.slice(start))));
  }

  /** Calls `visit` with the receipt hashes (`<recipient>:<message id>`) of this store. */
  async scanReceipts(visit: (members: string[]) => Promise<void>): Promise<void> {
    const start = `${this.prefix}r:`.length;
    await this.scan('r:*', (keys) => visit(keys.map((k) => k.slice(start))));
  }

  /**
   * A page of the inboxes of some devices (`[device, after seq]`), at most `limit`
   * items each, for a repair copy.
   */
  async snapshotDevices(
    pages: ReadonlyArray<readonly [deviceId: string, after: number]>,
    limit: number,
  ): Promise<DevicesSnapshot> {
    const args: Array<string | number> = [this.prefix, limit];
    for (const [deviceId, after] of pages) args.push(deviceId, after);
    const [devices, envelopes] = (await this.run('snapshotDevices', args)) as [
      Array<[string, string, string, string[], string[], number]>,
      Array<[string, string, string]>,
    ];
    return {
      devices: devices.map(([deviceId, last, acked, items, refs, more]) => ({
        deviceId,
        last,
        acked,
        items,
        refs,
        next: Number(more) === 1 ? Number(items[items.length - 1]!.split(':', 1)[0]) : null,
      })),
      envelopes,
    };
  }

  /** Merges a snapshot into this store (being repaired); answers the items added. */
  async mergeDevices(snapshot: DevicesSnapshot, fence: Fence, now: number): Promise<number> {
    const args: Array<string | number> = [...this.fenceArgs(fence), now];
    args.push(snapshot.envelopes.length);
    for (const envelope of snapshot.envelopes) args.push(...envelope);
    args.push(snapshot.devices.length);
    for (const d of snapshot.devices) {
      args.push(d.deviceId, d.last, d.acked, d.items.length);
      for (const item of d.items) args.push(item);
      args.push(d.refs.length);
      for (const ref of d.refs) args.push(ref);
    }
    return Number(await this.run('mergeDevices', args));
  }

  /** Idempotency keys with their ts and expiry, for a repair copy. */
  async snapshotKeys(keys: readonly string[]): Promise<string[]> {
    return (await this.run('snapshotKeys', [this.prefix].concat(keys))) as string[];
  }

  /** Merges key triples from `snapshotKeys`. */
  async mergeKeys(triples: readonly string[], fence: Fence, now: number): Promise<void> {
    if (triples.length === 0) return;
    await this.run('mergeKeys', [...this.fenceArgs(fence), now].concat(triples));
  }

  /** Receipt state triples of some hashes, for a repair copy. */
  async snapshotReceipts(members: readonly string[]): Promise<string[]> {
    return (await this.run('snapshotReceipts', [this.prefix].concat(members))) as string[];
  }

  /** Merges receipt triples from `snapshotReceipts`. */
  async mergeReceipts(triples: readonly string[], fence: Fence, now: number): Promise<void> {
    if (triples.length === 0) return;
    await this.run('mergeReceipts', [...this.fenceArgs(fence), now].concat(triples));
  }

  private fenceArgs(fence: Fence): Array<string | number> {
    return [this.prefix, fence.mode, fence.epoch, fence.seqBase];
  }

  private async scan(pattern: string, visit: (keys: string[]) => Promise<void>): Promise<void> {
    const match = `${escapeGlob(this.prefix)}${pattern}`;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1_000);
      cursor = next;
      for (let i = 0; i < keys.length; i += COPY_CHUNK) {
        await visit(keys.slice(i, i + COPY_CHUNK));
      }
    } while (cursor !== '0');
  }

  private async run(
    script: keyof typeof INBOX_SCRIPTS,
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    try {
      return await INBOX_SCRIPTS[script].run(this.client, args);
    } catch (error) {
      const stale = /^STALE (\d+)/.exec(error instanceof Error ? error.message : '');
      if (stale !== null) throw new StaleEpochError(Number(stale[1]));
      throw error;
    }
  }
}

function pushExpectation(args: Array<string | number>, d: Delivery): void {
  const expect = d.expectReceipts;
  if (expect === undefined) {
    args.push('', '', '', 0);
    return;
  }
  const m = expect.message;
  args.push(m.senderUserId, m.messageId, m.groupId ?? '', expect.recipientUserIds.length);
  for (const userId of expect.recipientUserIds) args.push(userId);
}

function pushWrite(args: Array<string | number>, write: PreparedWrite): void {
  const m = write.message;
  args.push(
    write.body,
    write.envelopeId === null ? '' : write.payload,
    m?.senderUserId ?? '',
    m?.messageId ?? '',
    m?.groupId ?? '',
    write.deviceIds.length,
  );
  for (const deviceId of write.deviceIds) args.push(deviceId);
}

/** Escapes the glob characters of a key prefix for `SCAN MATCH`. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
