import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './emitter.js';

describe(TypedEmitter.name, () => {
  it('calls listeners in order and stops calling one that unsubscribed', () => {
    const events = new TypedEmitter<{ tick: number }>();
    const seen: string[] = [];
    const off = events.on('tick', (n) => seen.push(`a${n}`));
    events.on('tick', (n) => seen.push(`b${n}`));
    events.emit('tick', 1);
    off();
    events.emit('tick', 2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
  });

  it('calls a once listener a single time without skipping the next listener', () => {
    const events = new TypedEmitter<{ tick: number }>();
    const seen: string[] = [];
    events.once('tick', (n) => seen.push(`once${n}`));
    events.on('tick', (n) => seen.push(`on${n}`));
    events.emit('tick', 1);
    events.emit('tick', 2);
    expect(seen).toEqual(['once1', 'on1', 'on2']);
    expect(events.listenerCount('tick')).toBe(1);
  });

  it('hands a throwing listener’s error to the error handler and still calls the others', () => {
    const errors: unknown[] = [];
    const events = new TypedEmitter<{ tick: number }>((error) => errors.push(error));
    const seen: number[] = [];
    events.on('tick', () => {
      throw new Error('boom');
    });
    events.on('tick', (n) => seen.push(n));
    events.emit('tick', 7);
    expect(seen).toEqual([7]);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('resolves next() with the first payload that passes the filter', async () => {
    const events = new TypedEmitter<{ tick: number }>();
    const even = events.next('tick', (n) => n % 2 === 0);
    events.emit('tick', 1);
    events.emit('tick', 4);
    expect(await even).toBe(4);
    expect(events.listenerCount('tick')).toBe(0);
  });
});
