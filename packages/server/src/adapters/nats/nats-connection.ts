import {
  jetstreamManager,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsLocation } from '../../config.js';
import type { Logger } from '../../logger.js';

/** What a connection is for: its name on the server (`nats server report connections`) and the logs. */
export interface NatsConnectionOptions {
  readonly location: NatsLocation;
  readonly name: string;
  readonly logger: Logger;
}

/**
 * Connects to NATS and checks that JetStream answers, or fails with a sentence
 * naming the servers: a node that starts without its bus would silently miss every
 * other node's messages. Once connected, the client reconnects on its own for ever
 * (logging each outage once) and buffers what is published meanwhile.
 */
export async function openNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  const { location, name, logger } = options;
  const where = location.servers.join(',');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...location.servers],
      name,
      user: location.user,
      pass: location.pass,
      token: location.token,
      timeout: 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`NATS at ${where} is not reachable: ${reason}`, { cause: error });
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    await jsm.getAccountInfo();
  } catch (error) {
    await nc.close().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`NATS at ${where} has no JetStream (start nats-server with -js): ${reason}`, {
      cause: error,
    });
  }
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        logger.warn({ nats: name, server: status.server }, 'nats: connection lost; reconnecting');
      } else if (status.type === 'reconnect') {
        logger.info({ nats: name, server: status.server }, 'nats: connection back');
      } else if (status.type === 'error') {
        logger.warn({ nats: name, err: status.error }, 'nats: server error');
      }
    }
  })().catch(() => undefined);
  return nc;
}

/** Drains a connection (what is buffered goes out), or closes it when the server is gone. */
export async function closeNats(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) return;
  await Promise.race([
    nc.drain().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
  ]);
  if (!nc.isClosed()) await nc.close().catch(() => undefined);
}

/**
 * Creates a stream, or brings an existing one to `config`: nodes starting at once
 * all call this, and creating a stream that exists with the same settings succeeds.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.streams.update(config.name, config);
  }
}

/** Creates a durable consumer, or brings an existing one to `config`. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.consumers.update(stream, config.durable_name, config);
  }
}

/** Nanoseconds, as JetStream settings count time. */
export function nanos(ms: number): number {
  return ms * 1_000_000;
}
