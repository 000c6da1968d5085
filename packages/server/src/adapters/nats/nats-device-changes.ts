import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { DeviceChange } from '../../domains/accounts/accounts.module.js';
import type { Logger } from '../../logger.js';

/** What a node's device directory offers: announce changes, hear them. */
export interface DeviceChangeHub {
  announce(changes: readonly DeviceChange[]): void;
  onDeviceChange(listener: (change: DeviceChange) => void): () => void;
}

/** Settings of the device-change subject. */
export interface NatsDeviceChangesOptions {
  /** Prefix of the subject (`CLUSTER_NAME`). */
  readonly prefix: string;
  /** This node's name, so that it does not hear its own announcements twice. */
  readonly nodeId: string;
  readonly logger: Logger;
}

interface DeviceChangeMessage {
  readonly from: string;
  readonly changes: readonly DeviceChange[];
}

/**
 * Device changes (a login, a revocation) heard by every node, on the NATS subject
 * `<prefix>.accounts.devices`: each node's directory forgets the user's cached device
 * list and tells its listeners, so that a revoked device's socket is closed wherever
 * it is and no node keeps fanning out to it. Changes of one announcement travel in
 * one message.
 */
export class NatsDeviceChanges {
  readonly #subject: string;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  #subscription: Subscription | null = null;
  #unlisten: (() => void) | null = null;
  #pending: DeviceChange[] = [];
  /** True while remote changes are announced here, so that they are not sent back out. */
  #applying = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsDeviceChangesOptions,
  ) {
    this.#subject = `${options.prefix}.accounts.devices`;
  }

  /** Sends `hub`'s changes to the other nodes and announces theirs in it. */
  async share(hub: DeviceChangeHub): Promise<void> {
    this.#unlisten = hub.onDeviceChange((change) => {
      if (this.#applying) return;
      if (this.#pending.length === 0) queueMicrotask(() => this.#send());
      this.#pending.push(change);
    });
    this.#subscription = this.nc.subscribe(this.#subject, {
      callback: (error, msg) => {
        if (error !== null) return;
        let message: DeviceChangeMessage;
        try {
          message = JSON.parse(this.#decoder.decode(msg.data)) as DeviceChangeMessage;
        } catch (err) {
          this.options.logger.warn({ err }, 'device changes: unreadable message dropped');
          return;
        }
        if (message.from === this.options.nodeId || !Array.isArray(message.changes)) return;
        this.#applying = true;
        try {
          hub.announce(message.changes);
        } finally {
          this.#applying = false;
        }
      },
    });
    await this.nc.flush();
  }

  /** Stops sharing. */
  stop(): void {
    this.#unlisten?.();
    this.#subscription?.unsubscribe();
    this.#unlisten = null;
    this.#subscription = null;
  }

  #send(): void {
    const changes = this.#pending;
    this.#pending = [];
    if (changes.length === 0) return;
    const message: DeviceChangeMessage = { from: this.options.nodeId, changes };
    try {
      this.nc.publish(this.#subject, this.#encoder.encode(JSON.stringify(message)));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'device changes: could not tell the other nodes');
    }
  }
}
