/**
 * The HAProxy configuration of a Switchboard cluster, in one place: `npm run cluster`
 * renders it for loopback, and the production example in deploy/haproxy/haproxy.cfg is
 * the same template rendered with `PRODUCTION_EXAMPLE` (a unit test keeps the shipped
 * file equal to it), so that what the cluster tests exercise is what operators deploy.
 */

/** One Switchboard node behind the balancer. */
export interface BalancedNode {
  /** The server's name in HAProxy's logs and stats (letters, digits, `_`, `-`, `.`). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** What differs between the loopback cluster and a production deployment. */
export interface HaproxyConfigOptions {
  /** Where clients connect: `127.0.0.1:8080`, `:80`... */
  readonly bind: string;
  /** A PEM with the certificate and key: TLS on `tlsBind`, and `bind` only redirects to it. */
  readonly tls: { readonly bind: string; readonly certificate: string } | null;
  readonly nodes: readonly BalancedNode[];
  /** The admin socket (`show stat`, `disable server`...) the cluster script and tests use. */
  readonly statsSocket: string;
  /** Where HAProxy writes its pid, or null (systemd knows it). */
  readonly pidFile: string | null;
  /** `stdout` (the script sends it to a log file) or a syslog address such as `/dev/log`. */
  readonly log: string;
  /** A listener with the stats page and Prometheus metrics, e.g. `127.0.0.1:8404`, or null. */
  readonly statsBind: string | null;
  /** Most concurrent client connections (each WebSocket holds one for as long as it is open). */
  readonly maxConnections: number;
  /** Active health checks: how often, and how many in a row change a node's state. */
  readonly health: { readonly intervalMs: number; readonly fall: number; readonly rise: number };
  /** A comment placed at the top of the file. */
  readonly header: string;
}

/** The example shipped in deploy/haproxy/haproxy.cfg: three nodes on a private network. */
export const PRODUCTION_EXAMPLE: HaproxyConfigOptions = {
  bind: ':80',
  tls: { bind: ':443', certificate: '/etc/haproxy/certs/switchboard.pem' },
  nodes: [
    { name: 'node1', host: '10.0.0.11', port: 3000 },
    { name: 'node2', host: '10.0.0.12', port: 3000 },
    { name: 'node3', host: '10.0.0.13', port: 3000 },
  ],
  statsSocket: '/run/haproxy/admin.sock',
  pidFile: null,
  log: '/dev/log',
  statsBind: '127.0.0.1:8404',
  maxConnections: 100_000,
  health: { intervalMs: 2_000, fall: 2, rise: 2 },
  header: [
    'Switchboard behind HAProxy (2.6 or later, as in Debian 12): HTTP and WebSocket on',
    'one port, no sticky sessions (every node is identical), active health checks on',
    '/readyz. Replace the three `server` lines with your nodes, point `crt` at your',
    'certificate, and set TRUST_PROXY on the nodes to this machine’s address so that',
    'rate limits see the client’s address (X-Forwarded-For). docs/scaling.md explains',
    'the topology and what happens when a node, Redis, NATS or PostgreSQL fails.',
    '',
    'Generated from scripts/cluster/haproxy-config.ts, which `npm run cluster` renders',
    'for its loopback cluster: edit that file and run',
    '`npm run cluster -- haproxy-example > deploy/haproxy/haproxy.cfg`, so that the',
    'cluster tests keep exercising what is shipped.',
  ].join('\n'),
};

const NAME = /^[A-Za-z0-9_.-]+$/;

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Renders the configuration; throws on a node name or address HAProxy would misread. */
export function renderHaproxyConfig(options: HaproxyConfigOptions): string {
  if (options.nodes.length === 0) throw new Error('the balancer needs at least one node');
  for (const node of options.nodes) {
    if (!NAME.test(node.name)) throw new Error(`invalid server name ${JSON.stringify(node.name)}`);
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(node.host)) {
      throw new Error(`invalid server address ${JSON.stringify(node.host)}`);
    }
    if (!Number.isInteger(node.port) || node.port < 1 || node.port > 65_535) {
      throw new Error(`invalid server port ${node.port} for ${node.name}`);
    }
  }
  const { health } = options;
  const comment = (text: string) =>
    text
      .split('\n')
      .map((line) => (line === '' ? '#' : `# ${line}`))
      .join('\n');
  const lines: string[] = [comment(options.header), ''];
  const defaultServer = `    default-server check inter ${seconds(health.intervalMs)} fastinter ${seconds(
    Math.max(100, Math.round(health.intervalMs / 4)),
  )} downinter ${seconds(health.intervalMs)} fall ${health.fall} rise ${health.rise} observe layer4 error-limit 1 on-error mark-down`;
  const servers = options.nodes.map((node) => `    server ${node.name} ${node.host}:${node.port}`);

  lines.push(
    'global',
    `    maxconn ${options.maxConnections}`,
    options.log === 'stdout'
      ? '    log stdout format raw local0 info'
      : `    log ${options.log} local0 info`,
    `    stats socket ${options.statsSocket} mode 600 level admin expose-fd listeners`,
    '    stats timeout 30s',
    ...(options.pidFile === null ? [] : [`    pidfile ${options.pidFile}`]),
    '    # A reload (SIGUSR2 to the master, or SIGUSR1) lets old WebSockets finish, but no',
    '    # longer than this: clients reconnect to the new process.',
    '    hard-stop-after 30s',
    ...(options.tls === null
      ? []
      : [
          '    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
          '    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
        ]),
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlognull',
    '    # Connection failures are retried on another node (nothing was sent yet, so even',
    '    # a POST is safe to retry): a node that just died costs a client nothing.',
    '    retries 3',
    '    option redispatch 1',
    '    timeout connect 3s',
    '    # Slow or idle HTTP clients; `timeout tunnel` takes over once a WebSocket is open',
    '    # (the server pings every CHAT_HEARTBEAT_MS, 25 s by default, so a live socket',
    '    # is never idle that long).',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    '    timeout queue 10s',
    '    timeout tunnel 1h',
    '    timeout client-fin 10s',
    '    timeout server-fin 10s',
    '',
    'frontend switchboard',
    `    bind ${options.bind}`,
    ...(options.tls === null
      ? []
      : [`    bind ${options.tls.bind} ssl crt ${options.tls.certificate} alpn h2,http/1.1`]),
    `    maxconn ${options.maxConnections}`,
    ...(options.tls === null
      ? []
      : ['    http-request redirect scheme https code 301 unless { ssl_fc }']),
    '    # This is the edge: what a client claims in X-Forwarded-For is dropped, and the',
    "    # nodes (TRUST_PROXY=<this balancer's address>) read the address added here.",
    '    http-request del-header X-Forwarded-For',
    '    option forwardfor',
    ...(options.tls === null
      ? ['    http-request set-header X-Forwarded-Proto http']
      : [
          '    http-request set-header X-Forwarded-Proto https if { ssl_fc }',
          '    http-request set-header X-Forwarded-Proto http unless { ssl_fc }',
        ]),
    '    # One id per request, in these logs and (as X-Request-Id) in the node’s.',
    '    unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid',
    '    http-request set-header X-Request-Id %[unique-id] unless { req.hdr(x-request-id) -m found }',
    '    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %{+Q}r %ID"',
    '    # No node ready means an engine every node needs is down (Redis, NATS or',
    '    # PostgreSQL fail every /readyz at once): rather than answer 503 to everything,',
    '    # send traffic to the nodes that are alive, which still serve what does not need',
    '    # the missing engine (cached redirects, sockets of the same node...).',
    '    use_backend switchboard_alive if { nbsrv(switchboard_nodes) eq 0 }',
    '    default_backend switchboard_nodes',
    '',
    'backend switchboard_nodes',
    '    # No stickiness: any node serves any request and any WebSocket. leastconn spreads',
    '    # long-lived sockets evenly (round robin would pile them on the oldest node after',
    '    # a restart); each HTTP request on a kept-alive connection is balanced on its own.',
    '    balance leastconn',
    '    # /readyz answers 503 while a node drains on SIGTERM or a dependency it needs is',
    '    # down, so the balancer stops sending it traffic before it closes its sockets.',
    '    option httpchk',
    '    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host switchboard-health',
    '    http-check expect status 200',
    defaultServer,
    ...servers,
    '',
    'backend switchboard_alive',
    '    # The same nodes, checked for being alive (/healthz) rather than ready: used only',
    '    # while switchboard_nodes has none up.',
    '    balance leastconn',
    '    option httpchk',
    '    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host switchboard-health',
    '    http-check expect status 200',
    defaultServer,
    ...servers,
  );

  if (options.statsBind !== null) {
    lines.push(
      '',
      '# The stats page and Prometheus metrics of the balancer itself, on loopback only.',
      'frontend stats',
      `    bind ${options.statsBind}`,
      '    http-request use-service prometheus-exporter if { path /metrics }',
      '    stats enable',
      '    stats uri /',
      '    stats refresh 5s',
      '    option dontlog-normal',
    );
  }
  return `${lines.join('\n')}\n`;
}
