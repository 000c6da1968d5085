import { describe, expect, it } from 'vitest';
import {
  assess,
  beginRepair,
  coverage,
  finishRepair,
  initialState,
  markFollowerDown,
  parseMirrorState,
  SEQ_BASE_STEP,
  serializeMirrorState,
  type MirrorState,
} from './mirror-state.js';

const A = { id: 'store-a', runId: 'run-a' };
const B = { id: 'store-b', runId: 'run-b' };
const synced: MirrorState = initialState([A, B])!;

describe('mirror state', () => {
  it('starts only when both stores answer, the first as authority', () => {
    expect(initialState([A, null])).toBeNull();
    expect(synced).toEqual({
      epoch: 1,
      seqBase: 0,
      authority: A,
      follower: B,
      followerStatus: 'sync',
    });
  });

  it('serves with both stores when they are the recorded processes', () => {
    expect(assess(synced, [A, B])).toEqual({ kind: 'serve', authority: 0, follower: 1 });
    // Slots follow identities, not the order of the configuration.
    expect(assess(synced, [B, A])).toEqual({ kind: 'serve', authority: 1, follower: 0 });
  });

  it('marks an unreachable or restarted follower down, in the authority', () => {
    for (const follower of [null, { ...B, runId: 'run-b2' }, { id: 'store-b2', runId: 'x' }]) {
      const a = assess(synced, [A, follower]);
      expect(a.kind).toBe('transition');
      if (a.kind !== 'transition') return;
      expect(a.next).toEqual({ ...synced, epoch: 2, followerStatus: 'down' });
      expect(a.required).toEqual([0]);
    }
  });

  it('lets a follower in sync take over above a new seq base', () => {
    for (const authority of [null, { ...A, runId: 'run-a2' }, { id: 'store-a2', runId: 'y' }]) {
      const a = assess(synced, [authority, B]);
      expect(a.kind).toBe('transition');
      if (a.kind !== 'transition') return;
      expect(a.next).toEqual({
        epoch: 2,
        seqBase: SEQ_BASE_STEP,
        authority: B,
        follower: A,
        followerStatus: 'down',
      });
      expect(a.required).toEqual([1]);
    }
  });

  it('never lets a follower that is down, repairing or restarted take over', () => {
    const down = markFollowerDown(synced);
    const repairing = beginRepair(down, B);
    expect(assess(down, [null, B]).kind).toBe('unavailable');
    expect(assess(repairing, [null, B]).kind).toBe('unavailable');
    expect(assess(synced, [null, { ...B, runId: 'run-b2' }]).kind).toBe('unavailable');
  });

  it('goes on with a restarted authority above a new seq base when the follower cannot take over', () => {
    const down = markFollowerDown(synced);
    const a = assess(down, [{ ...A, runId: 'run-a2' }, null]);
    expect(a.kind).toBe('transition');
    if (a.kind !== 'transition') return;
    expect(a.next.authority).toEqual({ ...A, runId: 'run-a2' });
    expect(a.next.seqBase).toBe(SEQ_BASE_STEP);
    expect(a.next.followerStatus).toBe('down');
  });

  it('writes to a repairing follower but serves without a follower that is down', () => {
    const down = markFollowerDown(synced);
    expect(assess(down, [A, B])).toEqual({ kind: 'serve', authority: 0, follower: null });
    const repairing = beginRepair(down, { ...B, runId: 'run-b2' });
    expect(assess(repairing, [A, { ...B, runId: 'run-b2' }])).toEqual({
      kind: 'serve',
      authority: 0,
      follower: 1,
    });
    expect(finishRepair(repairing).followerStatus).toBe('sync');
  });

  it('decides whether a write the follower missed is safe', () => {
    const down = markFollowerDown(synced);
    expect(coverage(synced, down)).toBe('covered');
    expect(coverage(synced, beginRepair(down, B))).toBe('covered');
    // A repair that finished after the write may have copied before it.
    expect(coverage(synced, finishRepair(beginRepair(down, B)))).toBe('mark');
    expect(coverage(synced, synced)).toBe('mark');
    const takeover = assess(synced, [null, B]);
    if (takeover.kind !== 'transition') throw new Error('expected a takeover');
    expect(coverage(synced, takeover.next)).toBe('reapply');
  });

  it('reads back what it wrote and refuses anything else', () => {
    expect(parseMirrorState(serializeMirrorState(synced))).toEqual(synced);
    expect(parseMirrorState('{"epoch":1}')).toBeNull();
    expect(parseMirrorState('not json')).toBeNull();
  });
});
