import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClientFrame, ServerFrame } from '@switchboard/shared';
import {
  MemoryHistoryStore,
  SwitchboardClient,
  type Session,
  type StoredMessage,
  type SwitchboardClientOptions,
} from '@switchboard/sdk/node';
import { WebSocket } from 'ws';
import {
  startPrivateRedis,
  uniqueClusterName,
  type PrivateRedis,
} from '../../packages/server/src/test-support/scale-out.js';
import { TEST_SERVICES } from '../../packages/server/src/test-support/services.js';
import {
  startCluster,
  type ClusterNode,
  type LocalCluster,
} from '../../scripts/cluster/cluster.js';
import { dropDatabase } from '../../scripts/cluster/postgres.js';
import { startPrivateNats } from '../../scripts/cluster/nats-server.js';
import { freePort, stopProcess, tail, waitFor } from '../../scripts/cluster/processes.js';

export { waitFor };

/**
 * The cluster tests' harness: a cluster of the built server's processes behind the
 * real HAProxy, on this machine's PostgreSQL (a fresh database), with a private
 * `redis-server` as REDIS_URL and a private `nats-server` (JetStream on disk) as
 * NATS_URL, so that a test may restart them without disturbing anyone else; and SDK
 * clients that record every frame, to check what the server sent as well as what the
 * user saw.
 */

/** How long a device registration outlives its node: short, so a dead node's devices go quickly. */
export const PRESENCE_TTL_MS = 3_000;

/** A server of the test's own that it may kill and start again on the same port and data. */
export interface Restartable {
  readonly url: string;
  /** SIGKILLs it and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and data directory) and waits until it answers. */
  restart(): Promise<void>;
}

/** A cluster for one test file, and everything to remove afterwards. */
export interface TestCluster {
  readonly cluster: LocalCluster;
  /** The Redis of REDIS_URL (presence, routing, rate limits, link cache), the test's own. */
  readonly redis: PrivateRedis;
  /** The NATS of NATS_URL (bus, fan-out and click streams), with JetStream on disk. */
  readonly nats: Restartable;
  /** The last lines of every node's log, for a failure's message. */
  logs(lines?: number): string;
  /** Stops every process, drops the database, deletes the NATS streams and the files. */
  close(): Promise<void>;
}

/**
 * Starts `nodes` nodes behind HAProxy. Inboxes are mirrored on two private Redis
 * servers with AOF, as `npm run cluster` does, unless CLUSTER_TEST_INBOX_STORES says
 * `database` (to run the rest while the mirrored inbox is unavailable).
 */
export async function startTestCluster(nodes = 3): Promise<TestCluster> {
  const clusterName = uniqueClusterName();
  const databaseUrl = new URL(TEST_SERVICES.postgres);
  databaseUrl.pathname = `/sb_cluster_${randomBytes(5).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cluster-test-'));
  const redis = await startPrivateRedis();
  const natsPort = await freePort();
  const startNats = () =>
    startPrivateNats({
      port: natsPort,
      dir: path.join(dataDir, 'nats'),
      logFile: path.join(dataDir, 'nats.log'),
      cwd: dataDir,
      detached: false,
    });
  let natsRecord = (await startNats()).record;
  const nats: Restartable = {
    url: `nats://127.0.0.1:${natsPort}`,
    kill: async () => {
      await stopProcess(natsRecord, 'SIGKILL', 10_000);
    },
    restart: async () => {
      natsRecord = (await startNats()).record;
    },
  };
  const cleanUp = async (cluster: LocalCluster | null) => {
    const problems: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        problems.push(error);
      }
    };
    if (cluster !== null) await attempt(() => cluster.stop());
    await attempt(() => redis.close());
    await attempt(() => stopProcess(natsRecord, 'SIGTERM', 10_000));
    await attempt(() => dropDatabase(databaseUrl.toString()));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (problems.length > 0) throw new AggregateError(problems, 'cleaning up the cluster');
  };
  const inbox = process.env.CLUSTER_TEST_INBOX_STORES === 'database' ? 'database' : 'private';
  let cluster: LocalCluster;
  try {
    cluster = await startCluster({
      nodes,
      port: 0,
      dataDir,
      databaseUrl: databaseUrl.toString(),
      redisUrl: redis.url,
      natsUrl: nats.url,
      inboxStores: inbox,
      clusterName,
      env: {
        PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
        // Every test client comes from 127.0.0.1 through the balancer.
        AUTH_REGISTRATIONS_PER_IP: '10000',
        AUTH_LOGIN_ATTEMPTS_PER_IP: '10000',
        LINKS_PER_MINUTE_PER_IP: '0',
        LINKS_PER_MINUTE_PER_ACCOUNT: '0',
        CHAT_FRAMES_PER_SECOND: '2000',
        CLICK_FLUSH_MS: '100',
        // The web app is not what these tests drive.
        WEB_DIST_DIR: path.join(dataDir, 'no-web-app'),
      },
      detached: false,
      installBalancer: true,
      healthIntervalMs: 500,
      statsPort: null,
    });
  } catch (error) {
    await cleanUp(null).catch(() => undefined);
    throw error;
  }
  return {
    cluster,
    redis,
    nats,
    logs: (lines = 15) =>
      [
        ...cluster.nodes.map((node) => node.logFile),
        path.join(dataDir, 'logs/haproxy.log'),
        path.join(dataDir, 'nats.log'),
      ]
        .map((file) => `--- ${path.basename(file)}\n${tail(file, lines)}`)
        .join('\n'),
    close: () => cleanUp(cluster),
  };
}

/** A socket a recorded client opened: where to, and every frame both ways, in order. */
export interface RecordedSocket {
  readonly url: string;
  readonly timeline: Array<
    { direction: 'in'; frame: ServerFrame } | { direction: 'out'; frame: ClientFrame }
  >;
}

/**
 * An SDK client (`@switchboard/sdk/node`, memory history) that records the messages it
 * reports and every frame of every socket it opens.
 */
export class RecordedDevice {
  readonly client: SwitchboardClient;
  /** Messages the client reported to its user, in order. */
  readonly messages: StoredMessage[] = [];
  readonly sockets: RecordedSocket[] = [];
  /** Ids the server answered `sent` for, in the order of the answers. */
  readonly sent: string[] = [];

  constructor(
    readonly name: string,
    url: string,
    readonly session: Session,
    options: Partial<SwitchboardClientOptions> = {},
  ) {
    const sockets = this.sockets;
    class RecordingWebSocket extends WebSocket {
      readonly record: RecordedSocket;

      constructor(address: string) {
        super(address);
        const record: RecordedSocket = { url: address, timeline: [] };
        this.record = record;
        sockets.push(record);
        this.on('message', (data: Buffer) => {
          record.timeline.push({
            direction: 'in',
            frame: JSON.parse(data.toString('utf8')) as ServerFrame,
          });
        });
      }

      override send(data: string): void {
        this.record.timeline.push({ direction: 'out', frame: JSON.parse(data) as ClientFrame });
        super.send(data);
      }
    }
    this.client = new SwitchboardClient({
      url,
      session,
      store: new MemoryHistoryStore(),
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
      acks: { every: 50, delayMs: 50 },
      outbox: { maxSendsPerSecond: 0, sendTimeoutMs: 5_000 },
      connectTimeoutMs: 10_000,
      ...options,
      WebSocket: RecordingWebSocket as unknown as NonNullable<
        SwitchboardClientOptions['WebSocket']
      >,
    });
    this.client.on('message', (message) => this.messages.push(message));
    this.client.on('status', (message) => {
      if (message.status === 'sent') this.sent.push(message.id);
    });
  }

  /** Ids of the messages reported from `user` (all when omitted), in order. */
  idsFrom(user?: string): string[] {
    return this.messages.filter((m) => user === undefined || m.from.user === user).map((m) => m.id);
  }

  /**
   * Messages the server sent again on a later socket although this device had
   * acknowledged them: the `after` of that socket's `auth` covers their earlier seq.
   */
  redeliveredAfterAck(): string[] {
    const seqOf = new Map<string, number>();
    const violations: string[] = [];
    for (const socket of this.sockets) {
      let after = 0;
      for (const entry of socket.timeline) {
        if (entry.direction === 'out') {
          if (entry.frame.type === 'auth') after = entry.frame.after;
          continue;
        }
        if (entry.frame.type !== 'msg') continue;
        const earlier = seqOf.get(entry.frame.id);
        if (earlier !== undefined && earlier <= after) violations.push(entry.frame.id);
        if (earlier === undefined) seqOf.set(entry.frame.id, entry.frame.seq);
      }
    }
    return violations;
  }

  /** `seq`s the server sent on one socket out of increasing order (should be none). */
  seqsOutOfOrder(): number[] {
    const problems: number[] = [];
    for (const socket of this.sockets) {
      let last = 0;
      for (const entry of socket.timeline) {
        if (entry.direction !== 'in' || !('seq' in entry.frame)) continue;
        const seq = (entry.frame as { seq?: unknown }).seq;
        if (entry.frame.type === 'synced' || typeof seq !== 'number') continue;
        if (seq <= last) problems.push(seq);
        last = seq;
      }
    }
    return problems;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * Connects devices through the balancer one at a time, and answers the node each one
 * landed on, read from the balancer's count of open sessions per server.
 */
export async function connectThroughBalancer(
  cluster: LocalCluster,
  devices: readonly RecordedDevice[],
): Promise<Map<RecordedDevice, ClusterNode>> {
  const placed = new Map<RecordedDevice, ClusterNode>();
  for (const device of devices) {
    const before = new Map((await cluster.servers()).map((s) => [s.name, s.sessions]));
    await device.client.connect();
    let landed: string | undefined;
    await waitFor(
      async () => {
        const now = await cluster.servers();
        landed = now.find((s) => s.sessions > (before.get(s.name) ?? 0))?.name;
        return landed !== undefined;
      },
      `the balancer to count ${device.name}'s socket`,
      { timeoutMs: 10_000 },
    );
    placed.set(
      device,
      cluster.nodes.find((node) => node.name === landed)!,
    );
  }
  return placed;
}

/** Fetches a short link without following it; answers the status and Location. */
export async function follow(
  baseUrl: string,
  code: string,
): Promise<{ status: number; location: string | null }> {
  const response = await fetch(`${baseUrl}/${code}`, { redirect: 'manual' });
  await response.body?.cancel();
  return { status: response.status, location: response.headers.get('location') };
}
