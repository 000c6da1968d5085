/** A user's presence as others may see it. */
export interface PresenceStatus {
  readonly online: boolean;
  /** When their last socket closed (ms since the epoch); null while online or when unknown. */
  readonly lastSeen: number | null;
}

/** Who hears of registrations that lapsed rather than closed (scale-out). */
export interface LapseListener {
  /**
   * A user was left with no live device because their registrations ran out (their
   * node died, or stalled past the TTL, without closing their sockets). `lastSeen`: the
   * last refresh of the lapsed registrations, or a later recorded close.
   */
  lapsed(userId: string, lastSeen: number): Promise<void>;
  /**
   * A user told offline that way is back: the node had only stalled, and registered
   * the socket again.
   */
  restored(userId: string): Promise<void>;
}

/**
 * Which devices have a socket right now (and, in scale-out, on which node), and when
 * each user was last online. Embedded: in memory. Scale-out: Redis with TTLs that the
 * nodes refresh, so that a node that dies takes its devices offline.
 */
export interface PresenceStore {
  /**
   * Registers a device's socket; answers whether its user just came online. A
   * `connectionId` is `<nodeId>.<n>`: the node that holds the socket is the part
   * before the first dot (what a routing table needs).
   */
  connect(userId: string, deviceId: string, connectionId: string): Promise<{ cameOnline: boolean }>;
  /**
   * Unregisters a socket, unless the device has connected again since (another
   * `connectionId`); answers whether its user just went offline.
   */
  disconnect(
    userId: string,
    deviceId: string,
    connectionId: string,
    at: number,
  ): Promise<{ wentOffline: boolean }>;
  /** The connected devices of each of these users (users with none are absent). */
  onlineDevices(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Presence of each of these users. */
  status(userIds: readonly string[]): Promise<Map<string, PresenceStatus>>;
  /**
   * Sets who hears of lapses: users left with no live device because their
   * registrations ran out (their node died) rather than closed. Each lapse is told to
   * one listener in the cluster, once. Embedded: never (the one process closes every
   * socket it holds).
   */
  onLapse(listener: LapseListener): void;
}
