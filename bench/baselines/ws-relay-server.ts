import fs from 'node:fs';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The chat benchmark's baseline: a bare `ws` relay that speaks just enough of the
 * Switchboard protocol for the same load generator to drive it. `auth` looks the token
 * up in a `Map` and answers `ready` and `synced`; `send` is forwarded at once to the
 * recipient's socket as a `msg` (one per group member for a group) and answered
 * `sent`; `ack` is ignored. No storage, no receipts, no validation beyond parsing, no
 * heartbeats, perMessageDeflate off: what relaying a message costs in Node.js before
 * any durability is built on it. A message for someone offline is dropped.
 *
 * Configured by PORT, HOST (default 127.0.0.1) and RELAY_SEED: a JSON file
 * `{ "tokens": { token: userId }, "groups": { groupId: [userId] } }`.
 */

/** The relay's seed file. */
export interface RelaySeed {
  readonly tokens: Record<string, string>;
  readonly groups: Record<string, string[]>;
}

interface Connection {
  userId: string | null;
  seq: number;
}

interface SendFrame {
  type: string;
  id: string;
  to: { user?: string; group?: string };
  body: unknown;
}

const seedFile = process.env.RELAY_SEED;
if (seedFile === undefined) throw new Error('RELAY_SEED is required');
const seed = JSON.parse(fs.readFileSync(seedFile, 'utf8')) as RelaySeed;
const tokens = new Map(Object.entries(seed.tokens));
const groups = new Map(Object.entries(seed.groups));
const online = new Map<string, WebSocket>();
const connections = new WeakMap<WebSocket, Connection>();

function deliver(recipient: string, from: string, frame: SendFrame, ts: number): void {
  const socket = online.get(recipient);
  const connection = socket && connections.get(socket);
  if (!socket || !connection) return;
  connection.seq += 1;
  socket.send(
    JSON.stringify({
      type: 'msg',
      seq: connection.seq,
      id: frame.id,
      from: { user: from, device: from },
      to: frame.to,
      ts,
      body: frame.body,
    }),
  );
}

function onMessage(socket: WebSocket, connection: Connection, data: Buffer): void {
  let frame: Partial<SendFrame> & { token?: string };
  try {
    frame = JSON.parse(data.toString()) as typeof frame;
  } catch {
    socket.send('{"type":"error","code":"INVALID_FRAME","message":"not JSON"}');
    return;
  }
  if (connection.userId === null) {
    const userId = frame.type === 'auth' ? tokens.get(frame.token ?? '') : undefined;
    if (userId === undefined) {
      socket.close(4003, 'AUTH_FAILED');
      return;
    }
    connection.userId = userId;
    online.get(userId)?.close(4005, 'SESSION_REPLACED');
    online.set(userId, socket);
    socket.send(JSON.stringify({ type: 'ready', userId, deviceId: userId, heartbeatMs: 25_000 }));
    socket.send('{"type":"synced","seq":0}');
    return;
  }
  if (frame.type === 'send' && frame.to && typeof frame.id === 'string') {
    const send = frame as SendFrame;
    const ts = Date.now();
    const from = connection.userId;
    if (send.to.user !== undefined) deliver(send.to.user, from, send, ts);
    else if (send.to.group !== undefined) {
      for (const member of groups.get(send.to.group) ?? []) {
        if (member !== from) deliver(member, from, send, ts);
      }
    }
    socket.send(`{"type":"sent","id":${JSON.stringify(send.id)},"ts":${ts}}`);
  } else if (frame.type === 'ping') {
    socket.send('{"type":"pong"}');
  }
}

const server = http.createServer((request, response) => {
  response.writeHead(request.url === '/healthz' ? 200 : 404, {
    'content-type': 'application/json',
  });
  response.end(request.url === '/healthz' ? '{"status":"ok"}' : '{}');
});
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (socket) => {
  const connection: Connection = { userId: null, seq: 0 };
  connections.set(socket, connection);
  socket.on('message', (data: Buffer) => onMessage(socket, connection, data));
  socket.on('close', () => {
    if (connection.userId !== null && online.get(connection.userId) === socket) {
      online.delete(connection.userId);
    }
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
});
