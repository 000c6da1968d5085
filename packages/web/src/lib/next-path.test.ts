import { describe, expect, it } from 'vitest';
import { safeNextPath } from './next-path.js';

describe(safeNextPath.name, () => {
  it('returns to an in-app path with its query', () => {
    expect(safeNextPath('next=%2Flinks%2FaB3dE5g%3Fx%3D1')).toBe('/links/aB3dE5g?x=1');
  });

  it('falls back when there is no next path', () => {
    expect(safeNextPath('')).toBe('/links');
  });

  it('never leaves the site', () => {
    for (const next of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'javascript:x',
    ]) {
      expect(safeNextPath(`next=${encodeURIComponent(next)}`), next).toBe('/links');
    }
  });
});
