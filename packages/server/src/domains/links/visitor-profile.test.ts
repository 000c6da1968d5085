import { describe, expect, it } from 'vitest';
import { VisitorClassifier, classifyUserAgent, referrerHost } from './visitor-profile.js';

const AGENTS = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  slackbot: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  curl: 'curl/8.5.0',
  smartTv:
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
};

describe(classifyUserAgent.name, () => {
  it.each([
    ['chromeWindows', 'desktop', 'Chrome', false],
    ['safariMac', 'desktop', 'Safari', false],
    ['firefoxLinux', 'desktop', 'Firefox', false],
    ['iphone', 'mobile', 'Mobile Safari', false],
    ['android', 'mobile', 'Chrome', false],
    ['ipad', 'tablet', 'Mobile Safari', false],
    ['googlebot', 'bot', 'Googlebot', true],
    ['slackbot', 'bot', 'Slackbot-LinkExpanding', true],
    ['curl', 'bot', 'curl', true],
    ['smartTv', 'other', 'Samsung Internet', false],
  ] as const)('classifies %s as %s / %s', (agent, device, browser, bot) => {
    expect(classifyUserAgent(AGENTS[agent])).toMatchObject({ device, browser, bot });
  });

  it('calls a missing user agent other, unknown, not a bot', () => {
    expect(classifyUserAgent(undefined)).toMatchObject({
      device: 'other',
      browser: '(unknown)',
      bot: false,
    });
    expect(classifyUserAgent('   ')).toMatchObject({ device: 'other' });
  });

  it('keeps bot names free of versions, so that versions group together', () => {
    expect(classifyUserAgent('curl/7.1').browser).toBe(classifyUserAgent('curl/8.5.0').browser);
  });

  it('gives distinct keys to distinct profiles', () => {
    const keys = new Set(Object.values(AGENTS).map((ua) => classifyUserAgent(ua).key));
    expect(keys.size).toBe(Object.keys(AGENTS).length);
  });
});

describe(VisitorClassifier.name, () => {
  it('answers the same profile object for a repeated user agent', () => {
    const classifier = new VisitorClassifier(10);
    const first = classifier.classify(AGENTS.iphone);
    expect(classifier.classify(AGENTS.iphone)).toBe(first);
    expect(first).toEqual(classifyUserAgent(AGENTS.iphone));
  });

  it('takes referrer hosts like referrerHost, from a cache for repeated ones', () => {
    const classifier = new VisitorClassifier(10);
    for (let i = 0; i < 3; i++) {
      expect(classifier.referrer('https://News.example/a')).toBe('news.example');
    }
    expect(classifier.referrer(undefined)).toBe('(direct)');
    expect(classifier.referrer('nonsense')).toBe('(unknown)');
  });

  it('does not cache absurdly long user agents but still classifies them', () => {
    const classifier = new VisitorClassifier(10);
    const long = `${AGENTS.firefoxLinux} ${'x'.repeat(5000)}`;
    expect(classifier.classify(long).browser).toBe('Firefox');
    expect(classifier.classify(long)).not.toBe(classifier.classify(long));
  });
});

describe(referrerHost.name, () => {
  it('takes the host of the referring page, lower-case, without port or path', () => {
    expect(referrerHost('https://News.Example.com:8443/item?id=1#c')).toBe('news.example.com');
    expect(referrerHost('https://t.co/')).toBe('t.co');
    expect(referrerHost('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
  });

  it('says (direct) when there is no referrer and (unknown) when it is not a URL', () => {
    expect(referrerHost(undefined)).toBe('(direct)');
    expect(referrerHost('')).toBe('(direct)');
    expect(referrerHost('not a url')).toBe('(unknown)');
  });

  it('caps the host at the longest DNS name', () => {
    const host = `${'a'.repeat(60)}.`.repeat(6) + 'example';
    expect(referrerHost(`https://${host}/`).length).toBeLessThanOrEqual(253);
  });
});
