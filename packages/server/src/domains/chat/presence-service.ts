import { AppError, type TypingFrame, type UserPresence } from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import type { BlockService } from './block-service.js';
import type { ChatBus } from './chat-bus.js';
import type { ContactStore } from './contact-store.js';
import type { GroupStore } from './group-store.js';
import type { DeviceRef } from './message-service.js';
import { presenceFrame, typingFrame } from './payloads.js';
import type { PresenceStore } from './presence-store.js';
import type { UserDirectory } from './user-directory.js';

/** What presence and typing are built on. */
export interface PresenceServiceDeps {
  readonly store: PresenceStore;
  readonly bus: ChatBus;
  readonly contacts: ContactStore;
  readonly groups: GroupStore;
  readonly blocks: BlockService;
  readonly users: UserDirectory;
  readonly clock: Clock;
}

/**
 * Presence and typing: ephemeral, never stored, and only between users who share a
 * conversation (a 1:1 contact or a group) with no block between them.
 */
export class PresenceService {
  constructor(private readonly deps: PresenceServiceDeps) {
    deps.store.onLapse({
      lapsed: (userId, lastSeen) => this.lapsed(userId, lastSeen),
      restored: (userId) => this.broadcast(userId, true, null),
    });
  }

  /**
   * A device's socket opened: if its user just came online, their contacts hear it.
   * Answers the `presence` frames the device gets once synced (every contact online
   * now), computed from the same audience.
   */
  async connected(device: DeviceRef, connectionId: string): Promise<string[]> {
    const [{ cameOnline }, audience] = await Promise.all([
      this.deps.store.connect(device.userId, device.deviceId, connectionId),
      this.audience(device.userId),
    ]);
    if (audience.length === 0) return [];
    const [devices, statuses] = await Promise.all([
      cameOnline ? this.deps.store.onlineDevices(audience) : Promise.resolve(null),
      this.deps.store.status(audience),
    ]);
    const deviceIds = devices === null ? [] : [...devices.values()].flat();
    if (deviceIds.length > 0) {
      this.deps.bus.publish({
        kind: 'frame',
        deviceIds,
        frame: presenceFrame({ user: device.userId, online: true, lastSeen: null }),
      });
    }
    const frames: string[] = [];
    for (const [user, status] of statuses) {
      if (status.online) frames.push(presenceFrame({ user, online: true, lastSeen: null }));
    }
    return frames;
  }

  /** A device's socket closed; if it was its user's last, their contacts hear it. */
  async disconnected(device: DeviceRef, connectionId: string): Promise<void> {
    const at = this.deps.clock.now();
    const { wentOffline } = await this.deps.store.disconnect(
      device.userId,
      device.deviceId,
      connectionId,
      at,
    );
    if (!wentOffline) return;
    const hidden = (await this.deps.users.profile(device.userId))?.hideLastSeen ?? false;
    await this.broadcast(device.userId, false, hidden ? null : at);
  }

  /**
   * A user's last registration lapsed (their node died with their sockets): their
   * contacts hear it as if the last socket had closed at the last refresh.
   */
  async lapsed(userId: string, lastSeen: number): Promise<void> {
    const hidden = (await this.deps.users.profile(userId))?.hideLastSeen ?? false;
    await this.broadcast(userId, false, hidden ? null : lastSeen);
  }

  /** A contact's presence, for `GET /api/users/:userId/presence`; 404 for anyone else. */
  async presenceOf(viewerId: string, userId: string): Promise<UserPresence> {
    if (viewerId !== userId && !(await this.mayWatch(viewerId, userId))) {
      throw new AppError('USER_NOT_FOUND', 'No contact of yours has this id.');
    }
    const status = (await this.deps.store.status([userId])).get(userId);
    const hidden = (await this.deps.users.profile(userId))?.hideLastSeen ?? false;
    return {
      user: userId,
      online: status?.online ?? false,
      lastSeen: hidden ? null : (status?.lastSeen ?? null),
    };
  }

  /**
   * Relays a typing frame to the online devices of the conversation (never the
   * sender's own). Typing into a conversation the sender cannot message is dropped.
   */
  async typing(sender: DeviceRef, frame: TypingFrame): Promise<void> {
    const { store, blocks, groups, bus } = this.deps;
    let recipients: string[];
    if ('user' in frame.to) {
      const target = frame.to.user;
      if (target === sender.userId) return;
      if ((await blocks.between(sender.userId, target)) !== 'none') return;
      recipients = [target];
    } else {
      if ((await groups.roleOf(frame.to.group, sender.userId)) === null) return;
      const [members, separated] = await Promise.all([
        groups.memberIds(frame.to.group),
        blocks.separated(sender.userId),
      ]);
      recipients = members.filter((m) => m !== sender.userId && !separated.has(m));
    }
    const online = await store.onlineDevices(recipients);
    const deviceIds = [...online.values()].flat();
    if (deviceIds.length === 0) return;
    bus.publish({
      kind: 'frame',
      deviceIds,
      frame: typingFrame({ user: sender.userId, device: sender.deviceId }, frame),
    });
  }

  /** After a block, each side sees the other as offline with no last-seen time. */
  async separate(userId: string, otherId: string): Promise<void> {
    const online = await this.deps.store.onlineDevices([userId, otherId]);
    for (const [viewer, subject] of [
      [userId, otherId],
      [otherId, userId],
    ] as const) {
      const deviceIds = online.get(viewer);
      if (deviceIds === undefined) continue;
      this.deps.bus.publish({
        kind: 'frame',
        deviceIds,
        frame: presenceFrame({ user: subject, online: false, lastSeen: null }),
      });
    }
  }

  /** True when `viewerId` may see `userId`'s presence. */
  private async mayWatch(viewerId: string, userId: string): Promise<boolean> {
    const { contacts, groups, blocks } = this.deps;
    if ((await blocks.between(viewerId, userId)) !== 'none') return false;
    return (
      (await contacts.isContact(viewerId, userId)) || (await groups.shareGroup(viewerId, userId))
    );
  }

  /** Everyone who may see a user's presence (and whose presence they may see). */
  private async audience(userId: string): Promise<string[]> {
    const { contacts, groups, blocks } = this.deps;
    const [direct, coMembers, separated] = await Promise.all([
      contacts.contactsOf(userId),
      groups.coMembersOf(userId),
      blocks.separated(userId),
    ]);
    const audience = new Set<string>();
    for (const id of direct) if (!separated.has(id)) audience.add(id);
    for (const id of coMembers) if (!separated.has(id)) audience.add(id);
    return [...audience];
  }

  private async broadcast(userId: string, online: boolean, lastSeen: number | null) {
    const audience = await this.audience(userId);
    if (audience.length === 0) return;
    const devices = await this.deps.store.onlineDevices(audience);
    const deviceIds = [...devices.values()].flat();
    if (deviceIds.length === 0) return;
    this.deps.bus.publish({
      kind: 'frame',
      deviceIds,
      frame: presenceFrame({ user: userId, online, lastSeen }),
    });
  }
}
