import { describe, expect, it } from 'vitest';
import { cleanUserAgent, deviceNameFrom } from './device-names.js';

describe(deviceNameFrom.name, () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
      'Mobile Safari on iPhone',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      'Chrome on Windows',
    ],
    ['curl/8.5.0', 'curl'],
    ['switchboard-cli/1.0 (Linux x86_64)', 'switchboard-cli on Linux'],
  ])('names %s', (userAgent, name) => {
    expect(deviceNameFrom(userAgent)).toBe(name);
  });

  it('names a device without a user agent', () => {
    expect(deviceNameFrom(null)).toBe('Unknown device');
  });

  it('keeps names within the limit', () => {
    expect(deviceNameFrom(`${'x'.repeat(200)}/1.0`)).toHaveLength(64);
  });
});

describe(cleanUserAgent.name, () => {
  it('removes control and bidirectional characters and bounds the length', () => {
    expect(cleanUserAgent('evil\u0000\n\u202Eagent')).toBe('evilagent');
    expect(cleanUserAgent('a'.repeat(2000))).toHaveLength(512);
    expect(cleanUserAgent('  ')).toBeNull();
    expect(cleanUserAgent(undefined)).toBeNull();
  });
});
