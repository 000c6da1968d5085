import { describe, expect, it } from 'vitest';
import { fanoutKey, messageFirstKey, sendKey } from './inbox-store.js';

describe(messageFirstKey.name, () => {
  it('puts the message id of a key first', () => {
    const id = '019acb2e-6f1d-7c3a-9b2e-2f0c8d4e5a61';
    expect(messageFirstKey(sendKey('u1', id))).toBe(`${id}:s:u1`);
    expect(messageFirstKey(fanoutKey('u1', id))).toBe(`${id}:f:u1`);
  });

  it('orders the keys of time-ordered ids by time, whoever sent them', () => {
    const ids = ['019acb2e-0000-7000-8000-000000000001', '019acb2e-0001-7000-8000-000000000000'];
    const keys = [sendKey('zed', ids[0]!), sendKey('amy', ids[1]!)].map(messageFirstKey);
    expect([...keys].sort()).toEqual(keys);
  });

  it('keeps distinct keys distinct, whatever their shape', () => {
    const keys = [
      'a',
      'a:',
      ':a',
      'a:b',
      'b:a',
      'a:b:c',
      'c:a:b',
      'b:c:a',
      's:x:y:m',
      's:x:y',
      ':',
      '::',
    ];
    const stored = keys.map(messageFirstKey);
    expect(new Set(stored).size).toBe(keys.length);
    expect(messageFirstKey('no-colon')).toBe('no-colon');
  });
});
