import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PRODUCTION_EXAMPLE,
  renderHaproxyConfig,
  type HaproxyConfigOptions,
} from './haproxy-config.js';

const SHIPPED = path.resolve(import.meta.dirname, '../../deploy/haproxy/haproxy.cfg');

const LOOPBACK: HaproxyConfigOptions = {
  ...PRODUCTION_EXAMPLE,
  bind: '127.0.0.1:8080',
  tls: null,
  nodes: [
    { name: 'node-1', host: '127.0.0.1', port: 8081 },
    { name: 'node-2', host: '127.0.0.1', port: 8082 },
  ],
  statsSocket: '/tmp/sb/haproxy.sock',
  pidFile: null,
  log: 'stdout',
  statsBind: null,
  health: { intervalMs: 1000, fall: 2, rise: 2 },
};

/** The lines of one section (`backend switchboard_nodes`...), without comments. */
function section(config: string, title: string): string[] {
  const lines = config.split('\n');
  const start = lines.indexOf(title);
  expect(start).toBeGreaterThanOrEqual(0);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' ') && line.trim() !== '' && !line.startsWith('#')) break;
    if (line.trim() !== '' && !line.trim().startsWith('#')) body.push(line.trim());
  }
  return body;
}

describe(renderHaproxyConfig.name, () => {
  it('renders the example shipped in deploy/haproxy/haproxy.cfg exactly', () => {
    expect(fs.readFileSync(SHIPPED, 'utf8')).toBe(renderHaproxyConfig(PRODUCTION_EXAMPLE));
  });

  it('gives the loopback cluster the same defaults and backend as production, but its servers', () => {
    const local = renderHaproxyConfig(LOOPBACK);
    const production = renderHaproxyConfig({ ...PRODUCTION_EXAMPLE, health: LOOPBACK.health });
    expect(section(local, 'defaults')).toEqual(section(production, 'defaults'));
    const backend = (config: string) =>
      section(config, 'backend switchboard_nodes').filter((l) => !l.startsWith('server '));
    expect(backend(local)).toEqual(backend(production));
    expect(
      section(local, 'backend switchboard_nodes').filter((l) => l.startsWith('server ')),
    ).toEqual(['server node-1 127.0.0.1:8081', 'server node-2 127.0.0.1:8082']);
  });

  it('balances without stickiness and checks /readyz on every server', () => {
    const backend = section(renderHaproxyConfig(LOOPBACK), 'backend switchboard_nodes');
    expect(backend).toContain('balance leastconn');
    expect(backend.join('\n')).not.toMatch(/stick|cookie|balance source|hash-type/);
    expect(backend).toContain(
      'http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host switchboard-health',
    );
    expect(backend).toContain('http-check expect status 200');
    expect(backend.find((l) => l.startsWith('default-server'))).toMatch(
      /^default-server check inter 1s .*fall 2 rise 2/,
    );
  });

  it('falls back to the nodes that are alive when none is ready', () => {
    const config = renderHaproxyConfig(LOOPBACK);
    expect(section(config, 'frontend switchboard')).toContain(
      'use_backend switchboard_alive if { nbsrv(switchboard_nodes) eq 0 }',
    );
    const alive = section(config, 'backend switchboard_alive');
    expect(alive).toContain(
      'http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host switchboard-health',
    );
    expect(alive.filter((l) => l.startsWith('server '))).toEqual(
      section(config, 'backend switchboard_nodes').filter((l) => l.startsWith('server ')),
    );
  });

  it('keeps WebSockets open through the tunnel timeout and replaces the forwarded address', () => {
    const config = renderHaproxyConfig(LOOPBACK);
    expect(section(config, 'defaults')).toContain('timeout tunnel 1h');
    const frontend = section(config, 'frontend switchboard');
    expect(frontend.indexOf('http-request del-header X-Forwarded-For')).toBeLessThan(
      frontend.indexOf('option forwardfor'),
    );
    expect(frontend).toContain('bind 127.0.0.1:8080');
    expect(frontend.join('\n')).not.toMatch(/ssl|redirect/);
  });

  it('terminates TLS and redirects plain HTTP when given a certificate', () => {
    const frontend = section(renderHaproxyConfig(PRODUCTION_EXAMPLE), 'frontend switchboard');
    expect(frontend).toContain(
      'bind :443 ssl crt /etc/haproxy/certs/switchboard.pem alpn h2,http/1.1',
    );
    expect(frontend).toContain('http-request redirect scheme https code 301 unless { ssl_fc }');
  });

  it('refuses what HAProxy would misread', () => {
    const node = { name: 'node-1', host: '127.0.0.1', port: 8081 };
    expect(() => renderHaproxyConfig({ ...LOOPBACK, nodes: [] })).toThrow(/at least one node/);
    expect(() => renderHaproxyConfig({ ...LOOPBACK, nodes: [{ ...node, name: 'a b' }] })).toThrow(
      /server name/,
    );
    expect(() =>
      renderHaproxyConfig({ ...LOOPBACK, nodes: [{ ...node, host: '1.2.3.4 backup' }] }),
    ).toThrow(/server address/);
    expect(() => renderHaproxyConfig({ ...LOOPBACK, nodes: [{ ...node, port: 70_000 }] })).toThrow(
      /port/,
    );
  });
});
