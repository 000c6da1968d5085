import { z } from 'zod';
import type { StoreIdentity } from '../redis/redis-inbox-store.js';

/**
 * The seqs one authority incarnation may hand out to a device: every change of
 * authority (and every restart of the authority) raises the seq base by this much, so
 * that the new authority's seqs are above anything the old one could have handed out,
 * whatever it did after it was replaced. 2^36 seqs per device per incarnation, and
 * 2^17 changes before seqs pass 2^53 (JavaScript's exact integers).
 */
export const SEQ_BASE_STEP = 2 ** 36;

/** Where the store that follows stands. */
export type FollowerStatus =
  /** Every write reaches it: it may take over. */
  | 'sync'
  /** It missed writes (or may have): writes skip it until a repair; it may not take over. */
  | 'down'
  /** Emptied and being refilled from the authority while writes reach it again. */
  | 'repairing';

/**
 * The mirror's state record, kept in the stores themselves (the one with the highest
 * epoch wins). Every change raises the epoch, and every write carries the epoch it
 * acted on, so that a store refuses a node that acts on an older record.
 */
export interface MirrorState {
  readonly epoch: number;
  /** New seqs start above this (see `SEQ_BASE_STEP`). */
  readonly seqBase: number;
  /** The store that fixes seqs and serves reads, as it was when it became so. */
  readonly authority: StoreIdentity;
  /** The other store as last known in sync or repaired; null before a repair knew it. */
  readonly follower: StoreIdentity | null;
  readonly followerStatus: FollowerStatus;
}

const IDENTITY = z.object({ id: z.string().min(1), runId: z.string().min(1) });
const STATE = z.object({
  epoch: z.number().int().positive(),
  seqBase: z.number().int().nonnegative(),
  authority: IDENTITY,
  follower: IDENTITY.nullable(),
  followerStatus: z.enum(['sync', 'down', 'repairing']),
});

/** Reads a state record; null for one that is not (a foreign or damaged key). */
export function parseMirrorState(json: string): MirrorState | null {
  try {
    const parsed = STATE.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The record as stored. */
export function serializeMirrorState(state: MirrorState): string {
  return JSON.stringify(state);
}

/** What a node sees of each of the two stores now: its identity, or null if unreachable. */
export type LiveStores = readonly [StoreIdentity | null, StoreIdentity | null];

/** The two stores by position in the configuration. */
export type Slot = 0 | 1;

/** What to do next, given the record and what is reachable. */
export type Assessment =
  | {
      readonly kind: 'serve';
      readonly authority: Slot;
      /** The follower's slot when writes must reach it (`sync` or `repairing`). */
      readonly follower: Slot | null;
    }
  | {
      readonly kind: 'transition';
      readonly next: MirrorState;
      /** Stores the record must be written to, in order, before anyone acts on it. */
      readonly required: readonly Slot[];
      /** Stores it is also written to when they answer (to fence stale writers there). */
      readonly optional: readonly Slot[];
      readonly reason: string;
    }
  | { readonly kind: 'unavailable'; readonly reason: string };

function same(a: StoreIdentity | null, b: StoreIdentity | null): boolean {
  return a !== null && b !== null && a.id === b.id && a.runId === b.runId;
}

function other(slot: Slot): Slot {
  return slot === 0 ? 1 : 0;
}

/** The first record: both stores must answer (neither may hold data the other lacks). */
export function initialState(live: LiveStores): MirrorState | null {
  const [a, b] = live;
  if (a === null || b === null) return null;
  return { epoch: 1, seqBase: 0, authority: a, follower: b, followerStatus: 'sync' };
}

/**
 * Decides from the record and the stores' live identities: serve, change the record
 * first, or refuse. A store whose run id changed restarted (and with `appendfsync
 * everysec` may have lost its last second); one whose id changed lost everything.
 */
export function assess(state: MirrorState, live: LiveStores): Assessment {
  const authority = live.findIndex((s) => s !== null && s.id === state.authority.id);
  const followerSlot = live.findIndex(
    (s, i) => i !== authority && state.follower !== null && same(s, state.follower),
  );
  const canTakeOver = state.followerStatus === 'sync' && followerSlot !== -1;
  if (authority === -1 || live[authority]!.runId !== state.authority.runId) {
    const why =
      authority === -1 ? 'the authority does not answer' : 'the authority restarted (run id)';
    if (canTakeOver) {
      const slot = followerSlot as Slot;
      return {
        kind: 'transition',
        next: {
          epoch: state.epoch + 1,
          seqBase: state.seqBase + SEQ_BASE_STEP,
          authority: live[slot]!,
          follower: state.authority,
          followerStatus: 'down',
        },
        required: [slot],
        optional: [other(slot)],
        reason: `${why}: the follower, in sync, takes over`,
      };
    }
    if (authority === -1) {
      return {
        kind: 'unavailable',
        reason: `${why} and the other store is not in sync (${state.followerStatus})`,
      };
    }
    // Continue on the restarted authority, above anything it handed out before.
    const slot = authority as Slot;
    return {
      kind: 'transition',
      next: {
        epoch: state.epoch + 1,
        seqBase: state.seqBase + SEQ_BASE_STEP,
        authority: live[slot]!,
        follower: state.follower,
        followerStatus: 'down',
      },
      required: [slot],
      optional: [other(slot)],
      reason: `${why} and the other store cannot take over: it goes on, with a new seq base`,
    };
  }
  const slot = authority as Slot;
  if (state.followerStatus === 'down') return { kind: 'serve', authority: slot, follower: null };
  if (followerSlot === -1) {
    return {
      kind: 'transition',
      next: markFollowerDown(state),
      required: [slot],
      optional: [other(slot)],
      reason:
        live[other(slot)] === null
          ? 'the follower does not answer'
          : 'the follower restarted or lost its data',
    };
  }
  return { kind: 'serve', authority: slot, follower: followerSlot as Slot };
}

/** The follower missed (or may have missed) a write: it must be repaired. */
export function markFollowerDown(state: MirrorState): MirrorState {
  return { ...state, epoch: state.epoch + 1, followerStatus: 'down' };
}

/** A repair begins: the emptied follower (as it is now) receives writes again. */
export function beginRepair(state: MirrorState, follower: StoreIdentity): MirrorState {
  return { ...state, epoch: state.epoch + 1, follower, followerStatus: 'repairing' };
}

/** The copy finished while writes reached the follower: it is in sync. */
export function finishRepair(state: MirrorState): MirrorState {
  return { ...state, epoch: state.epoch + 1, followerStatus: 'sync' };
}

/**
 * Whether a write the authority applied at `written` and the follower may have
 * missed is safe in `now`: the same authority incarnation (same seq base) and a later
 * record in which the follower is marked for repair (a repair copies from the
 * authority after that mark, so after the write). Otherwise the write must be
 * applied again (`reapply`: another authority) or the follower marked (`mark`).
 */
export function coverage(written: MirrorState, now: MirrorState): 'covered' | 'reapply' | 'mark' {
  if (now.seqBase !== written.seqBase || now.authority.id !== written.authority.id) {
    return 'reapply';
  }
  if (now.epoch > written.epoch && now.followerStatus !== 'sync') return 'covered';
  return 'mark';
}
