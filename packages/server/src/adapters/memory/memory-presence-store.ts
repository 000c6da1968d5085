import type {
  LapseListener,
  PresenceStatus,
  PresenceStore,
} from '../../domains/chat/presence-store.js';

/**
 * Presence on a single node, in memory. Last-seen times are lost on restart (they are
 * then unknown, `null`), which is what a crashed node's Redis TTLs give in scale-out.
 */
export class MemoryPresenceStore implements PresenceStore {
  /** userId → deviceId → connectionId of the device's socket. */
  private readonly online = new Map<string, Map<string, string>>();
  private readonly lastSeen = new Map<string, number>();

  connect(userId: string, deviceId: string, connectionId: string) {
    let devices = this.online.get(userId);
    const cameOnline = devices === undefined;
    if (devices === undefined) {
      devices = new Map();
      this.online.set(userId, devices);
    }
    devices.set(deviceId, connectionId);
    return Promise.resolve({ cameOnline });
  }

  disconnect(userId: string, deviceId: string, connectionId: string, at: number) {
    const devices = this.online.get(userId);
    if (devices === undefined || devices.get(deviceId) !== connectionId) {
      return Promise.resolve({ wentOffline: false });
    }
    devices.delete(deviceId);
    if (devices.size > 0) return Promise.resolve({ wentOffline: false });
    this.online.delete(userId);
    this.lastSeen.set(userId, at);
    return Promise.resolve({ wentOffline: true });
  }

  onlineDevices(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    for (const userId of userIds) {
      const devices = this.online.get(userId);
      if (devices !== undefined) result.set(userId, [...devices.keys()]);
    }
    return Promise.resolve(result);
  }

  /** Nothing lapses in one process: every socket it holds is closed by it. */
  onLapse(listener: LapseListener): void {
    void listener;
  }

  status(userIds: readonly string[]): Promise<Map<string, PresenceStatus>> {
    const result = new Map<string, PresenceStatus>();
    for (const userId of userIds) {
      const online = this.online.has(userId);
      result.set(userId, { online, lastSeen: online ? null : (this.lastSeen.get(userId) ?? null) });
    }
    return Promise.resolve(result);
  }
}
