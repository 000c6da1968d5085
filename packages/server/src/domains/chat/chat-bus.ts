import type { InboxItem } from './inbox-store.js';

/** Something one node tells the node that holds a device's socket. */
export type ChatBusEvent =
  /**
   * New items are in a device's inbox. They come in seq order and may be sent as they
   * are when they follow what the socket sent last; otherwise the socket reads its
   * inbox (the items are only a hint: the inbox is the truth).
   */
  | { readonly kind: 'items'; readonly deviceId: string; readonly items: readonly InboxItem[] }
  /** An ephemeral frame (typing, presence) for whichever of these devices are connected. */
  | { readonly kind: 'frame'; readonly deviceIds: readonly string[]; readonly frame: string }
  /**
   * Close a device's socket: it connected again (keep the socket `keep`, the new one),
   * or its session was revoked.
   */
  | {
      readonly kind: 'disconnect';
      readonly deviceId: string;
      readonly reason: 'replaced' | 'revoked';
      readonly keep?: string;
    }
  /** Blocks between these users changed: every node forgets what it cached about them. */
  | { readonly kind: 'blocks-changed'; readonly userIds: readonly string[] }
  /**
   * Raised locally, never sent: this node's link to the other nodes was down and is
   * back, so events meant for it may have been lost meanwhile. Every socket reads its
   * inbox again and every cache fed by events is dropped.
   */
  | { readonly kind: 'resync' };

/**
 * Node-to-node delivery: a device's socket may live on any node. Embedded: a direct
 * call. Scale-out: NATS subjects per node, routed through the presence store. Best
 * effort by design: nothing is lost when an event is, since every inbox item is also
 * read from the store when the device (re)connects or is woken next.
 */
export interface ChatBus {
  /** Sends an event to the nodes it concerns (`resync` is not for sending). */
  publish(event: ChatBusEvent): void;
  /**
   * Receives every event meant for this node (`blocks-changed` is meant for every
   * node); returns the function that unsubscribes.
   */
  subscribe(handler: (event: ChatBusEvent) => void): () => void;
}
