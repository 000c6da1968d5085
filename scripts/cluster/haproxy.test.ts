import { describe, expect, it } from 'vitest';
import { parseHaproxyVersion } from './haproxy.js';

describe(parseHaproxyVersion.name, () => {
  it('reads the version haproxy -v prints', () => {
    expect(
      parseHaproxyVersion('HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/'),
    ).toEqual([2, 6, 12]);
    expect(parseHaproxyVersion('HAProxy version 3.0-dev4 2024/01/01')).toEqual([3, 0, 0]);
    expect(parseHaproxyVersion('nginx version: nginx/1.22.1')).toBeNull();
  });
});
