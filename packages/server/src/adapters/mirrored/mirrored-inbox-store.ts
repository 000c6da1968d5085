import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { AppError } from '@switchboard/shared';
import { systemClock, type Clock } from '../../clock.js';
import type {
  Delivery,
  DeliveryResult,
  InboxItem,
  InboxStore,
  MessageRef,
} from '../../domains/chat/inbox-store.js';
import type { Logger } from '../../logger.js';
import {
  prepareDelivery,
  RedisInboxStore,
  StaleEpochError,
  type AppliedDelivery,
  type Fence,
  type StoreIdentity,
} from '../redis/redis-inbox-store.js';
import { copyInbox } from './mirrored-inbox-repair.js';
import {
  assess,
  beginRepair,
  coverage,
  finishRepair,
  initialState,
  markFollowerDown,
  parseMirrorState,
  serializeMirrorState,
  type LiveStores,
  type MirrorState,
  type Slot,
} from './mirror-state.js';

/** Tries of one operation across changes of the mirror state before it fails. */
const MAX_ATTEMPTS = 5;
/** How long an operation waits for a reconnected store's identity check. */
const SETTLE_MS = 2_000;

/** Something the mirror did, for logs, metrics and tests. */
export type MirrorEvent =
  | { readonly kind: 'transition'; readonly state: MirrorState; readonly reason: string }
  | { readonly kind: 'repair-started'; readonly state: MirrorState }
  | {
      readonly kind: 'repair-finished';
      readonly state: MirrorState;
      readonly items: number;
      readonly ms: number;
    }
  | { readonly kind: 'repair-failed'; readonly error: unknown };

/** Settings of the mirrored inbox. */
export interface MirroredInboxOptions {
  /** Every key of both stores starts with it. */
  readonly prefix: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How often a node re-reads the state, re-checks the stores and may start a repair. */
  readonly pollMs?: number;
  /** How long the repair lease lasts without renewal (a repairer that died loses it). */
  readonly leaseMs?: number;
  /** Told of each transition and repair. */
  readonly onEvent?: (event: MirrorEvent) => void;
}

/** Options of the connections the mirror opens itself. */
export interface MirroredInboxConnectOptions extends MirroredInboxOptions {
  /** The two Redis servers, `redis://...`: independent machines, each with AOF on. */
  readonly urls: readonly [string, string];
  /** A command that gets no answer within this fails (and counts as the store failing). */
  readonly commandTimeoutMs?: number;
  /** Names the connections in `CLIENT LIST`. */
  readonly connectionName?: string;
}

/** The state, and which store plays which part, for one operation. */
interface View {
  readonly state: MirrorState;
  readonly authority: Member;
  readonly follower: Member | null;
}

/** True for a failure of the store itself (gone, slow, full), as opposed to a bug. */
export function isStoreFailure(error: unknown): boolean {
  if (error instanceof StaleEpochError) return false;
  if (!(error instanceof Error)) return true;
  if (error.name !== 'ReplyError') return true;
  return /^(LOADING|OOM|MISCONF|READONLY|BUSY|MASTERDOWN|NOREPLICAS|TRYAGAIN)\b/.test(
    error.message,
  );
}

function unavailable(reason: string): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `The message store is unavailable (${reason}); retry shortly.`,
  );
}

/**
 * One of the two stores as this node sees it: its connection, and the identity of the
 * server behind it, checked on every (re)connection before the store is used again.
 */
class Member {
  /** The identity of the server behind the current connection; null until checked. */
  live: StoreIdentity | null = null;
  /** A command failed: not used until the next successful identity check. */
  suspect = false;
  private checking: Promise<void> | null = null;

  constructor(
    readonly slot: Slot,
    readonly store: RedisInboxStore,
    private readonly hooks: { changed(): void; closing(): boolean },
    private readonly logger: Logger,
  ) {
    const client = store.client;
    client.on('close', () => {
      if (this.live !== null && !hooks.closing()) {
        this.logger.warn({ store: slot }, 'inbox store: connection lost');
      }
      this.live = null;
      this.hooks.changed();
    });
    client.on('ready', () => void this.check());
    // ioredis reports each failed reconnection; the 'close' above says it once.
    client.on('error', () => undefined);
  }

  /** Whether operations may use this store now. */
  usable(): boolean {
    return this.live !== null && !this.suspect && this.store.client.status === 'ready';
  }

  /** Reads the store's identity (after a reconnection, or to clear a suspicion). */
  check(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const identity = await this.store.identify();
        if (this.live !== null && this.live.runId !== identity.runId) {
          this.logger.warn({ store: this.slot }, 'inbox store: the server restarted');
        }
        this.live = identity;
        this.suspect = false;
      } catch {
        this.live = null;
      } finally {
        this.checking = null;
        this.hooks.changed();
      }
    })();
    return this.checking;
  }

  /** Waits (a bounded time) for an identity check in progress. */
  async settle(): Promise<void> {
    const checking = this.checking;
    if (checking === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      checking,
      new Promise((resolve) => {
        timer = setTimeout(resolve, SETTLE_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  fail(error: unknown): void {
    if (!this.suspect) {
      this.logger.warn({ store: this.slot, err: error }, 'inbox store: a command failed');
    }
    this.suspect = true;
    this.hooks.changed();
  }
}

/**
 * The chat inbox written to two independent Redis servers. One store, the authority,
 * fixes every seq and serves reads; each write is then replayed on the other (the
 * follower) with the same seqs before it is answered, or the follower is first marked
 * for repair in the authority. The mirror's state record (which store is which, the
 * follower's status, the seq base, an epoch) lives in the stores themselves, and
 * every write is fenced by its epoch. A follower marked for repair is emptied and
 * refilled from the authority while writes reach it again, and only then may take
 * over. docs/scaling.md ("Transient storage: two stores in parallel") gives the
 * invariants and why they hold.
 */
export class MirroredInboxStore implements InboxStore {
  private readonly members: readonly [Member, Member];
  private state: MirrorState | null = null;
  private dirty = true;
  private reason: string | null = null;
  private reconciling: Promise<void> | null = null;
  private repairing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private readonly owner = randomUUID();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly leaseMs: number;

  private constructor(
    stores: readonly [RedisInboxStore, RedisInboxStore],
    private readonly options: MirroredInboxOptions,
    private readonly ownsClients: boolean,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.pollMs = options.pollMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 15_000;
    const hooks = {
      changed: () => {
        this.dirty = true;
      },
      closing: () => this.closed,
    };
    this.members = [
      new Member(0, stores[0], hooks, this.logger),
      new Member(1, stores[1], hooks, this.logger),
    ];
  }

  /**
   * Opens the connections to both stores and starts. At least one store must answer,
   * and on the very first start both (the first state record needs both).
   */
  static async connect(options: MirroredInboxConnectOptions): Promise<MirroredInboxStore> {
    const clients = options.urls.map(
      (url) =>
        new Redis(url, {
          lazyConnect: true,
          connectionName: options.connectionName,
          // A command must fail at once when its store is gone, and never be sent twice:
          // the mirror decides what a failure means, and a resent write could land after
          // the state changed.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          autoResendUnfulfilledCommands: false,
          enableAutoPipelining: true,
          commandTimeout: options.commandTimeoutMs ?? 2_000,
          connectTimeout: 5_000,
          retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1_000),
        }),
    ) as [Redis, Redis];
    const stores = clients.map((c) => new RedisInboxStore(c, options.prefix)) as [
      RedisInboxStore,
      RedisInboxStore,
    ];
    const mirror = new MirroredInboxStore(stores, options, true);
    await mirror.start();
    return mirror;
  }

  /** Starts on connections the caller made (and closes), for tests. */
  static async open(
    clients: readonly [Redis, Redis],
    options: MirroredInboxOptions,
  ): Promise<MirroredInboxStore> {
    const stores = clients.map((c) => new RedisInboxStore(c, options.prefix)) as [
      RedisInboxStore,
      RedisInboxStore,
    ];
    const mirror = new MirroredInboxStore(stores, options, false);
    await mirror.start();
    return mirror;
  }

  private async start(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        const client = m.store.client;
        if (client.status === 'wait') {
          await client.connect().catch((error: unknown) => {
            this.logger.warn(
              { store: m.slot, err: error },
              'inbox store: not reachable at start; retrying in the background',
            );
          });
        }
        if (client.status === 'ready') await m.check();
      }),
    );
    try {
      await this.view();
    } catch (error) {
      await this.close();
      throw error;
    }
    this.schedule();
  }

  /** The current record and why the mirror cannot serve (null when it can). */
  status(): { readonly state: MirrorState | null; readonly unavailable: string | null } {
    return { state: this.state, unavailable: this.reason };
  }

  /** Throws unless the mirror can serve now (for `/readyz`). */
  async check(): Promise<void> {
    await this.view();
  }

  // ------------------------------------------------------------------ the port

  deliver(delivery: Delivery): Promise<DeliveryResult> {
    return this.track(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const view = await this.view();
        // Envelope ids are fresh on each try, so that no try counts another's references.
        const prepared = prepareDelivery(delivery);
        const follower = view.follower;
        // The payloads shared by many devices do not need the seqs: they go to the
        // follower while the authority fixes the seqs.
        const envelopes =
          follower === null ? null : follower.store.putEnvelopes(prepared, fenceOf(view, 'f'));
        let applied: AppliedDelivery;
        try {
          applied = await view.authority.store.apply(prepared, fenceOf(view, 'a'));
        } catch (error) {
          envelopes?.catch(() => undefined);
          await this.authorityFailed(view, error);
          continue;
        }
        if (follower === null) return applied.result;
        const outcome =
          applied.effects === null
            ? await this.confirmKey(view, follower, delivery.key ?? '', applied.keyEpoch)
            : await this.replay(view, follower, applied, envelopes);
        if (outcome === 'done') return applied.result;
      }
      throw unavailable('the mirror state kept changing');
    });
  }

  read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<InboxItem[]> {
    return this.onAuthority((store, fence) =>
      store.readFenced(deviceId, afterSeq, limit, now, fence),
    );
  }

  lastSeq(deviceId: string): Promise<number> {
    return this.onAuthority((store) => store.lastSeq(deviceId));
  }

  messagesUpTo(deviceId: string, uptoSeq: number, exceptSender: string): Promise<MessageRef[]> {
    return this.onAuthority((store) => store.messagesUpTo(deviceId, uptoSeq, exceptSender));
  }

  pendingReceipts(recipientUserId: string, messageIds: readonly string[]): Promise<MessageRef[]> {
    return this.onAuthority((store) => store.pendingReceipts(recipientUserId, messageIds));
  }

  keyTs(key: string): Promise<number | null> {
    return this.track(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const view = await this.view();
        let info;
        try {
          info = await view.authority.store.keyInfo(key);
        } catch (error) {
          await this.authorityFailed(view, error);
          continue;
        }
        // A known key answers `sent`: the follower must hold what it stands for.
        if (info === null || view.follower === null) return info?.ts ?? null;
        if ((await this.confirmKey(view, view.follower, key, info.epoch)) === 'done') {
          return info.ts;
        }
      }
      throw unavailable('the mirror state kept changing');
    });
  }

  dropDevice(deviceId: string): Promise<void> {
    return this.track(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const view = await this.view();
        try {
          await view.authority.store.dropFenced(deviceId, fenceOf(view, 'a'));
        } catch (error) {
          await this.authorityFailed(view, error);
          continue;
        }
        if (view.follower === null) return;
        try {
          await view.follower.store.dropFenced(deviceId, fenceOf(view, 'f'));
          return;
        } catch (error) {
          if ((await this.followerMissed(view, error)) === 'done') return;
        }
      }
      throw unavailable('the mirror state kept changing');
    });
  }

  sweep(now: number): Promise<number> {
    return this.track(async () => {
      const count = await this.onAuthority((store, fence) => store.sweepFenced(now, fence));
      // Each store sweeps its own copy by the same clock; a follower that misses a
      // sweep is swept next time (reads hide expired items anyway).
      const view = await this.view();
      await view.follower?.store.sweepFenced(now, fenceOf(view, 'f')).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'inbox store: the follower sweep failed');
      });
      return count;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.repairing;
    if (this.ownsClients) {
      await Promise.all(
        this.members.map(async ({ store }) => {
          if (store.client.status === 'ready') {
            await Promise.race([
              store.client.quit().catch(() => undefined),
              new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
            ]);
          }
          store.client.disconnect();
        }),
      );
    }
  }

  // ------------------------------------------------------------------ writes

  /** Replays an applied delivery on the follower; `reapply` if it must be tried again. */
  private async replay(
    view: View,
    follower: Member,
    applied: AppliedDelivery,
    envelopes: Promise<boolean> | null,
  ): Promise<'done' | 'reapply'> {
    try {
      const sent = (await envelopes) ?? false;
      await follower.store.follow(applied.effects!, fenceOf(view, 'f'), sent);
      return 'done';
    } catch (error) {
      return this.followerMissed(view, error);
    }
  }

  /**
   * A duplicate (or a known key) answers `sent` from the authority: the follower must
   * hold the original too. It does unless the node that wrote it died between the two
   * stores; then the follower is marked for repair. A key applied before the current
   * repair began is left to that repair's copy.
   */
  private async confirmKey(
    view: View,
    follower: Member,
    key: string,
    keyEpoch: number,
  ): Promise<'done' | 'reapply'> {
    if (view.state.followerStatus === 'repairing' && keyEpoch < view.state.epoch) return 'done';
    try {
      if ((await follower.store.keyInfo(key)) !== null) return 'done';
    } catch (error) {
      return this.followerMissed(view, error);
    }
    this.logger.warn(
      { key },
      'inbox store: the follower lacks a stored key; marking it for repair',
    );
    return this.followerMissed(view, null);
  }

  /**
   * The follower missed a write the authority applied (it failed, refused a stale
   * write, or lacks a key): done once a newer record marks it for repair, `reapply` if
   * the authority changed meanwhile.
   */
  private async followerMissed(view: View, error: unknown): Promise<'done' | 'reapply'> {
    const follower = view.follower!;
    if (error !== null && !(error instanceof StaleEpochError)) {
      if (!isStoreFailure(error)) throw error as Error;
      follower.fail(error);
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await this.reconcile();
      const now = this.state;
      if (now === null || this.reason !== null) throw unavailable(this.reason ?? 'no state');
      switch (coverage(view.state, now)) {
        case 'covered':
          return 'done';
        case 'reapply':
          return 'reapply';
        case 'mark': {
          const slot = view.authority.slot;
          await this.publish(markFollowerDown(now), [slot], [follower.slot], 'a write missed it');
        }
      }
    }
    throw unavailable('could not mark the follower for repair');
  }

  private async authorityFailed(view: View, error: unknown): Promise<void> {
    if (error instanceof StaleEpochError) {
      this.dirty = true;
      return;
    }
    if (!isStoreFailure(error)) throw error;
    view.authority.fail(error);
    await this.reconcile();
    if (this.reason !== null) throw unavailable(this.reason);
  }

  private async onAuthority<T>(op: (store: RedisInboxStore, fence: Fence) => Promise<T>) {
    return this.track(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const view = await this.view();
        try {
          return await op(view.authority.store, fenceOf(view, 'a'));
        } catch (error) {
          await this.authorityFailed(view, error);
        }
      }
      throw unavailable('the mirror state kept changing');
    });
  }

  private async track<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the inbox store is closed');
    this.inFlight++;
    try {
      return await op();
    } finally {
      if (--this.inFlight === 0) for (const done of this.idle.splice(0)) done();
    }
  }

  // ------------------------------------------------------------------ the state

  private lives(): LiveStores {
    const [a, b] = this.members;
    return [a.usable() ? a.live : null, b.usable() ? b.live : null];
  }

  /** The record and roles to act on, reconciling first when something changed. */
  private async view(): Promise<View> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.state !== null && !this.dirty) {
        const a = assess(this.state, this.lives());
        if (a.kind === 'serve') {
          return {
            state: this.state,
            authority: this.members[a.authority],
            follower: a.follower === null ? null : this.members[a.follower],
          };
        }
      }
      await this.reconcile();
      if (this.reason !== null) throw unavailable(this.reason);
    }
    throw unavailable('the mirror state kept changing');
  }

  /** Re-reads the records and makes the transitions the stores' state calls for. */
  private reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    this.dirty = false;
    await Promise.all(this.members.map((m) => m.settle()));
    await this.reload();
    for (let step = 0; step < 2 * MAX_ATTEMPTS; step++) {
      if (this.state === null) {
        const first = initialState(this.lives());
        if (first === null) {
          this.reason = 'no mirror state yet, and the first start needs both stores';
          return;
        }
        await this.publish(first, [0, 1], [], 'first start');
        continue;
      }
      const a = assess(this.state, this.lives());
      if (a.kind === 'serve') {
        this.reason = null;
        return;
      }
      if (a.kind === 'unavailable') {
        if (this.reason !== a.reason) this.logger.error({ reason: a.reason }, 'inbox unavailable');
        this.reason = a.reason;
        return;
      }
      await this.publish(a.next, a.required, a.optional, a.reason);
    }
    this.reason = 'the mirror state kept changing';
  }

  /** Adopts the newest record the reachable stores hold. */
  private async reload(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (!m.usable()) return;
        try {
          const record = await m.store.loadState();
          if (record !== null) this.adopt(record.json);
        } catch (error) {
          if (isStoreFailure(error)) m.fail(error);
          else throw error;
        }
      }),
    );
  }

  private adopt(json: string): void {
    const found = parseMirrorState(json);
    if (found === null) {
      this.logger.error('inbox store: an unreadable mirror state record was ignored');
      return;
    }
    if (this.state === null || found.epoch > this.state.epoch) {
      this.state = found;
      this.dirty = true;
    }
  }

  /**
   * Writes a new record to `required` stores in order (all must take it) and to the
   * `optional` ones that answer. False if a store holds a newer record (adopted).
   */
  private async publish(
    next: MirrorState,
    required: readonly Slot[],
    optional: readonly Slot[],
    reason: string,
  ): Promise<boolean> {
    const record = { epoch: next.epoch, json: serializeMirrorState(next), seqBase: next.seqBase };
    const tombstones = (slot: Slot) =>
      next.followerStatus === 'repairing' && this.members[slot].live?.id !== next.authority.id;
    for (const slot of required) {
      const m = this.members[slot];
      let answer;
      try {
        answer = await m.store.storeState(record, tombstones(slot), null);
      } catch (error) {
        if (!isStoreFailure(error)) throw error;
        m.fail(error);
        return false;
      }
      if (!answer.stored) {
        this.adopt(answer.json);
        return false;
      }
    }
    await Promise.all(
      optional.map(async (slot) => {
        const m = this.members[slot];
        if (m.store.client.status !== 'ready') return;
        const answer = await m.store
          .storeState(record, tombstones(slot), null)
          .catch(() => ({ stored: true as const }));
        if (!answer.stored) this.adopt(answer.json);
      }),
    );
    if (this.state === null || next.epoch > this.state.epoch) this.state = next;
    this.logger.warn(
      {
        epoch: next.epoch,
        authority: next.authority.id,
        follower: next.followerStatus,
        seqBase: next.seqBase,
      },
      `inbox mirror: ${reason}`,
    );
    this.options.onEvent?.({ kind: 'transition', state: next, reason });
    return true;
  }

  // ------------------------------------------------------------------ background work

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.tick()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'inbox mirror: check failed'))
        .finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }

  /** Re-checks suspect stores, picks up records other nodes wrote, and repairs. */
  private async tick(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (m.store.client.status === 'ready' && (m.suspect || m.live === null)) await m.check();
      }),
    );
    const before = this.state?.epoch;
    await this.reload();
    if (this.dirty || this.state?.epoch !== before) await this.reconcile();
    const state = this.state;
    if (state !== null && state.followerStatus !== 'sync' && this.repairing === null) {
      this.repairing = this.repair().finally(() => {
        this.repairing = null;
      });
    }
  }

  /**
   * Repairs the follower from the authority: takes the lease, fences the follower
   * (nothing written before this moment lands there any more), empties it, marks it
   * `repairing` (writes reach it again), copies the authority into it, and marks it
   * `sync` if nothing changed meanwhile.
   */
  private async repair(): Promise<void> {
    let state = this.state;
    if (state === null || this.closed) return;
    const a = assess(state, this.lives());
    if (a.kind !== 'serve') return;
    const authority = this.members[a.authority];
    const follower = this.members[a.authority === 0 ? 1 : 0];
    if (!follower.usable()) return;
    if (!(await authority.store.lease(this.owner, this.leaseMs).catch(() => false))) return;
    const renewal = setInterval(() => {
      authority.store.lease(this.owner, this.leaseMs).catch(() => undefined);
    }, this.leaseMs / 3);
    renewal.unref();
    const started = performance.now();
    try {
      if (state.followerStatus === 'repairing') {
        // Another repair was abandoned: start again from the beginning.
        const down = markFollowerDown(state);
        if (!(await this.publish(down, [authority.slot], [], 'an abandoned repair starts over'))) {
          return;
        }
        state = down;
      }
      const identity = follower.live;
      if (identity === null) return;
      const record = {
        epoch: state.epoch,
        json: serializeMirrorState(state),
        seqBase: state.seqBase,
      };
      const fenced = await follower.store.storeState(record, false, state.epoch);
      if (!fenced.stored) {
        this.adopt(fenced.json);
        return;
      }
      const exact: Fence = { mode: 'x', epoch: state.epoch, seqBase: state.seqBase };
      await follower.store.wipe(exact);
      const repairing = beginRepair(state, identity);
      if (!(await this.publish(repairing, [authority.slot, follower.slot], [], 'repair begins'))) {
        return;
      }
      this.options.onEvent?.({ kind: 'repair-started', state: repairing });
      const items = await copyInbox(
        authority.store,
        follower.store,
        { mode: 'x', epoch: repairing.epoch, seqBase: repairing.seqBase },
        () => this.clock.now(),
        () => this.closed,
      );
      // The follower must be the very process that received every write since the
      // repair began, and the record must not have moved.
      const live = follower.live;
      if (live?.id !== identity.id || live.runId !== identity.runId || !follower.usable()) return;
      if (this.state?.epoch !== repairing.epoch) return;
      const synced = finishRepair(repairing);
      if (!(await this.publish(synced, [authority.slot, follower.slot], [], 'repair finished'))) {
        return;
      }
      const ms = Math.round(performance.now() - started);
      this.logger.info({ items, ms }, 'inbox mirror: the follower is repaired and in sync');
      this.options.onEvent?.({ kind: 'repair-finished', state: synced, items, ms });
    } catch (error) {
      if (error instanceof StaleEpochError) this.dirty = true;
      else if (isStoreFailure(error)) this.dirty = true;
      this.logger.warn({ err: error }, 'inbox mirror: repair interrupted');
      this.options.onEvent?.({ kind: 'repair-failed', error });
    } finally {
      clearInterval(renewal);
      await authority.store.unlease(this.owner).catch(() => undefined);
    }
  }
}

function fenceOf(view: View, mode: 'a' | 'f'): Fence {
  return { mode, epoch: view.state.epoch, seqBase: view.state.seqBase };
}
