import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

describe(parseConfig.name, () => {
  it('gives the embedded default with an empty environment', () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.kind).toBe('sqlite');
    expect(config.services).toEqual({ links: true, chat: true });
    expect(config.publicUrl.origin).toBe('http://localhost:3000');
  });

  it('lists every problem at once', () => {
    try {
      parseConfig({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        SERVICES: 'links,fax',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/LOG_LEVEL/);
      expect(problems).toMatch(/SERVICES/);
    }
  });

  it('refuses a database URL it cannot use', () => {
    expect(() => parseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('picks PostgreSQL from a postgres URL', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://u@h/db', CLUSTER: 'false' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
  });

  it('reads lists, booleans and proxy settings', () => {
    const config = parseConfig({
      SERVICES: 'links',
      TRUST_PROXY: '2',
      URL_BLOCKLIST: 'a.com, b.org',
      LOG_REQUESTS: 'yes',
    });
    expect(config.services).toEqual({ links: true, chat: false });
    expect(config.trustProxy).toBe(2);
    expect(config.env.URL_BLOCKLIST).toEqual(['a.com', 'b.org']);
    expect(config.env.LOG_REQUESTS).toBe(true);
  });

  it('refuses a public URL with a path', () => {
    expect(() => parseConfig({ PUBLIC_URL: 'https://sb.example/x' })).toThrow(/PUBLIC_URL/);
  });
});
