import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { ChatBus, ChatBusEvent } from '../../domains/chat/chat-bus.js';
import type { Logger } from '../../logger.js';

/** Finds the node that holds each device's socket (null where none is registered). */
export type RouteLookup = (deviceIds: readonly string[]) => Promise<Array<string | null>>;

/** Settings of one node's bus. */
export interface NatsChatBusOptions {
  /** Prefix of the subjects (`CLUSTER_NAME`). */
  readonly prefix: string;
  /** This node's name: the subject it listens on. */
  readonly nodeId: string;
  /** The presence store's routing table. */
  readonly routes: RouteLookup;
  readonly logger: Logger;
}

/** When a reconnection's second `resync` comes (see `NatsChatBus.#watch`). */
const RESYNC_AGAIN_MS = 2_000;

/** An event waiting for its routes, kept in publication order. */
interface Outgoing {
  readonly event: ChatBusEvent;
  readonly subjects: Promise<Array<{ subject: string; event: ChatBusEvent }>>;
}

/**
 * Node-to-node delivery on NATS core subjects. Each node listens on
 * `<prefix>.chat.node.<nodeId>` and on `<prefix>.chat.all`. An event about a device
 * goes to the node the routing table names for it, or to every node when the table
 * names none (a socket registering right now, a registration that lapsed); a
 * `disconnect` goes to every node (the older socket may be anywhere), and so does
 * `blocks-changed`.
 *
 * Events leave in the order they were published (each waits for the routes of those
 * before it), and NATS keeps the order of one connection's messages, so a node sees
 * one publisher's events in order. Delivery is best effort, as the port allows: the
 * inbox is the truth, read again on every (re)connection.
 */
export class NatsChatBus implements ChatBus {
  readonly #handlers = new Set<(event: ChatBusEvent) => void>();
  readonly #queue: Outgoing[] = [];
  #pumping = false;
  readonly #subscriptions: Subscription[] = [];
  readonly #all: string;
  readonly #nodePrefix: string;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsChatBusOptions,
  ) {
    this.#all = `${options.prefix}.chat.all`;
    this.#nodePrefix = `${options.prefix}.chat.node.`;
  }

  /** Subscribes to this node's subject and the broadcast subject; resolves once the server has them. */
  async start(): Promise<void> {
    for (const subject of [this.#all, this.#nodePrefix + this.options.nodeId]) {
      this.#subscriptions.push(
        this.nc.subscribe(subject, {
          callback: (error, msg) => {
            if (error === null) this.#receive(msg.data);
          },
        }),
      );
    }
    await this.nc.flush();
    void this.#watch();
  }

  /**
   * Raises `resync` each time the connection comes back: core NATS keeps nothing for a
   * subscriber that is away, so events meant for this node may have been lost. The
   * round trip first makes sure the server has this node's subscriptions again, so
   * that whatever was lost was published, and its inbox items written, before the
   * sockets read their inboxes; a second `resync` a little later covers the nodes that
   * reconnected after this one and only then sent what they had buffered, and a round
   * trip that fails on a loaded machine.
   */
  async #watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type !== 'reconnect') continue;
      await this.nc.flush().catch(() => undefined);
      this.#emit({ kind: 'resync' });
      setTimeout(() => this.#emit({ kind: 'resync' }), RESYNC_AGAIN_MS).unref();
    }
  }

  /** Stops listening; what was published is flushed by the connection's drain. */
  stop(): void {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }

  publish(event: ChatBusEvent): void {
    this.#queue.push({ event, subjects: this.#route(event) });
    if (!this.#pumping) void this.#pump();
  }

  subscribe(handler: (event: ChatBusEvent) => void): () => void {
    // A wrapper, so that the same function subscribed twice is two subscriptions.
    const entry = (event: ChatBusEvent) => handler(event);
    this.#handlers.add(entry);
    return () => {
      this.#handlers.delete(entry);
    };
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const next = this.#queue[0]!;
        let targets: Array<{ subject: string; event: ChatBusEvent }>;
        try {
          targets = await next.subjects;
        } catch (error) {
          // No routing table (Redis down): everyone hears it, which is always correct.
          this.options.logger.debug({ err: error }, 'chat bus: routes unknown; broadcasting');
          targets = [{ subject: this.#all, event: next.event }];
        }
        this.#queue.shift();
        for (const { subject, event } of targets) {
          try {
            this.nc.publish(subject, this.#encoder.encode(JSON.stringify(event)));
          } catch (error) {
            this.options.logger.warn({ err: error, kind: event.kind }, 'chat bus: publish failed');
          }
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #route(event: ChatBusEvent): Promise<Array<{ subject: string; event: ChatBusEvent }>> {
    switch (event.kind) {
      case 'disconnect':
      case 'blocks-changed':
        return [{ subject: this.#all, event }];
      case 'resync':
        return [];
      case 'items': {
        const [node] = await this.options.routes([event.deviceId]);
        return [{ subject: node == null ? this.#all : this.#nodePrefix + node, event }];
      }
      case 'frame': {
        const nodes = await this.options.routes(event.deviceIds);
        const byNode = new Map<string, string[]>();
        event.deviceIds.forEach((deviceId, i) => {
          const subject = nodes[i] == null ? this.#all : this.#nodePrefix + nodes[i];
          const list = byNode.get(subject);
          if (list === undefined) byNode.set(subject, [deviceId]);
          else list.push(deviceId);
        });
        return [...byNode].map(([subject, deviceIds]) => ({
          subject,
          event: { kind: 'frame', deviceIds, frame: event.frame },
        }));
      }
    }
  }

  #receive(data: Uint8Array): void {
    let event: ChatBusEvent;
    try {
      event = JSON.parse(this.#decoder.decode(data)) as ChatBusEvent;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'chat bus: unreadable event dropped');
      return;
    }
    this.#emit(event);
  }

  #emit(event: ChatBusEvent): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        this.options.logger.error({ err: error, kind: event.kind }, 'chat bus: handler failed');
      }
    }
  }
}
