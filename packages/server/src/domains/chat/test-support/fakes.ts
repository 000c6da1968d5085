import type { GroupRole } from '@switchboard/shared';
import { MemoryChatBus } from '../../../adapters/memory/memory-chat-bus.js';
import type { Clock } from '../../../clock.js';
import { createLogger } from '../../../logger.js';
import type { UserProfile } from '../../accounts/accounts.module.js';
import { BlockService } from '../block-service.js';
import type { BlockEntry, BlockStore } from '../block-store.js';
import type { ChatBusEvent } from '../chat-bus.js';
import type { ContactStore } from '../contact-store.js';
import type { FanoutJob, FanoutQueue, GroupEventJob } from '../fanout-queue.js';
import type {
  AddMemberOutcome,
  GroupListEntry,
  GroupRecord,
  GroupStore,
  RemoveMemberEvents,
  RemoveMemberOutcome,
  SetRoleOutcome,
} from '../group-store.js';
import type {
  Delivery,
  DeliveryResult,
  InboxItem,
  InboxStore,
  MessageRef,
} from '../inbox-store.js';
import { MessageService } from '../message-service.js';
import { UserDirectory } from '../user-directory.js';

/**
 * In-memory stand-ins for the chat ports, for unit tests of the domain rules. They
 * record what the services asked for; the real adapters are proven by the contracts.
 */

/** An inbox that records deliveries and knows the keys it was given. */
export class RecordingInbox implements InboxStore {
  readonly deliveries: Delivery[] = [];
  readonly keys = new Map<string, number>();
  messages: MessageRef[] = [];
  receipts: MessageRef[] = [];
  private seq = 0;

  deliver(delivery: Delivery): Promise<DeliveryResult> {
    if (delivery.key !== undefined && this.keys.has(delivery.key)) {
      return Promise.resolve({ applied: false, ts: this.keys.get(delivery.key)!, appended: [] });
    }
    if (delivery.key !== undefined) this.keys.set(delivery.key, delivery.ts);
    this.deliveries.push(delivery);
    const writes = [
      ...(delivery.writes ?? []),
      ...(delivery.receipts?.items.flatMap((i) => i.writes) ?? []),
    ];
    const appended = writes.flatMap((w) =>
      w.deviceIds.map((deviceId) => ({ deviceId, seq: ++this.seq, payload: w.payload })),
    );
    return Promise.resolve({ applied: true, ts: delivery.ts, appended });
  }
  read(): Promise<InboxItem[]> {
    return Promise.resolve([]);
  }
  lastSeq(): Promise<number> {
    return Promise.resolve(this.seq);
  }
  messagesUpTo(): Promise<MessageRef[]> {
    return Promise.resolve(this.messages);
  }
  pendingReceipts(_user: string, ids: readonly string[]): Promise<MessageRef[]> {
    return Promise.resolve(this.receipts.filter((r) => ids.includes(r.messageId)));
  }
  keyTs(key: string): Promise<number | null> {
    return Promise.resolve(this.keys.get(key) ?? null);
  }
  dropDevice(): Promise<void> {
    return Promise.resolve();
  }
  sweep(): Promise<number> {
    return Promise.resolve(0);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Groups in a map, with the same outcomes as the real store; `jobs`: the event jobs written. */
export class MemoryGroups implements GroupStore {
  readonly jobs: GroupEventJob[] = [];
  readonly groups = new Map<
    string,
    {
      name: string;
      createdBy: string;
      createdAt: number;
      members: Array<{ userId: string; role: GroupRole }>;
    }
  >();

  create(
    group: { groupId: string; name: string; createdBy: string; createdAt: number },
    memberIds: readonly string[],
    event?: GroupEventJob,
  ): Promise<GroupRecord> {
    if (event !== undefined) this.jobs.push(event);
    const others = [...new Set(memberIds)].filter((id) => id !== group.createdBy);
    const members: Array<{ userId: string; role: GroupRole }> = [
      { userId: group.createdBy, role: 'admin' },
      ...others.map((userId) => ({ userId, role: 'member' as const })),
    ];
    this.groups.set(group.groupId, { ...group, members });
    return Promise.resolve({ ...group, members: [...members] });
  }
  get(groupId: string): Promise<GroupRecord | null> {
    const g = this.groups.get(groupId);
    return Promise.resolve(g === undefined ? null : { groupId, ...g, members: [...g.members] });
  }
  roleOf(groupId: string, userId: string): Promise<GroupRole | null> {
    return Promise.resolve(
      this.groups.get(groupId)?.members.find((m) => m.userId === userId)?.role ?? null,
    );
  }
  exists(groupId: string): Promise<boolean> {
    return Promise.resolve(this.groups.has(groupId));
  }
  memberIds(groupId: string): Promise<string[]> {
    return Promise.resolve(this.groups.get(groupId)?.members.map((m) => m.userId) ?? []);
  }
  listForUser(): Promise<GroupListEntry[]> {
    return Promise.resolve([]);
  }
  rename(groupId: string, name: string, _at: number, event: GroupEventJob): Promise<boolean> {
    const g = this.groups.get(groupId);
    if (g !== undefined) {
      g.name = name;
      this.jobs.push(event);
    }
    return Promise.resolve(g !== undefined);
  }
  addMember(
    groupId: string,
    userId: string,
    _at: number,
    maxSize: number,
    event: GroupEventJob,
  ): Promise<AddMemberOutcome> {
    const g = this.groups.get(groupId);
    if (g === undefined) return Promise.resolve('no-group');
    if (g.members.some((m) => m.userId === userId)) return Promise.resolve('already-member');
    if (g.members.length >= maxSize) return Promise.resolve('full');
    g.members.push({ userId, role: 'member' });
    this.jobs.push(event);
    return Promise.resolve('added');
  }
  removeMember(
    groupId: string,
    userId: string,
    _at: number,
    events: RemoveMemberEvents,
  ): Promise<RemoveMemberOutcome> {
    const g = this.groups.get(groupId);
    const index = g?.members.findIndex((m) => m.userId === userId) ?? -1;
    if (g === undefined || index === -1) {
      return Promise.resolve({ removed: false, promoted: null, deleted: false });
    }
    g.members.splice(index, 1);
    this.jobs.push(events.removed);
    if (g.members.length === 0) {
      this.groups.delete(groupId);
      return Promise.resolve({ removed: true, promoted: null, deleted: true });
    }
    if (g.members.some((m) => m.role === 'admin')) {
      return Promise.resolve({ removed: true, promoted: null, deleted: false });
    }
    g.members[0]!.role = 'admin';
    this.jobs.push(events.promoted(g.members[0]!.userId));
    return Promise.resolve({ removed: true, promoted: g.members[0]!.userId, deleted: false });
  }
  setRole(
    groupId: string,
    userId: string,
    role: GroupRole,
    _at: number,
    event: GroupEventJob,
  ): Promise<SetRoleOutcome> {
    const member = this.groups.get(groupId)?.members.find((m) => m.userId === userId);
    if (member === undefined) return Promise.resolve('not-member');
    if (member.role === role) return Promise.resolve('unchanged');
    const admins = this.groups.get(groupId)!.members.filter((m) => m.role === 'admin').length;
    if (role === 'member' && admins <= 1) return Promise.resolve('last-admin');
    member.role = role;
    this.jobs.push(event);
    return Promise.resolve('changed');
  }
  coMembersOf(): Promise<string[]> {
    return Promise.resolve([]);
  }
  shareGroup(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** Blocks in a list. */
export class MemoryBlocks implements BlockStore {
  readonly blocks: Array<{ userId: string; blockedUserId: string; at: number }> = [];
  block(userId: string, blockedUserId: string, at: number): Promise<void> {
    if (!this.blocks.some((b) => b.userId === userId && b.blockedUserId === blockedUserId)) {
      this.blocks.push({ userId, blockedUserId, at });
    }
    return Promise.resolve();
  }
  unblock(userId: string, blockedUserId: string): Promise<boolean> {
    const i = this.blocks.findIndex(
      (b) => b.userId === userId && b.blockedUserId === blockedUserId,
    );
    if (i >= 0) this.blocks.splice(i, 1);
    return Promise.resolve(i >= 0);
  }
  list(userId: string): Promise<BlockEntry[]> {
    return Promise.resolve(
      this.blocks
        .filter((b) => b.userId === userId)
        .map((b) => ({ userId: b.blockedUserId, createdAt: b.at })),
    );
  }
  relations(userId: string): Promise<{ blocked: string[]; blockedBy: string[] }> {
    return Promise.resolve({
      blocked: this.blocks.filter((b) => b.userId === userId).map((b) => b.blockedUserId),
      blockedBy: this.blocks.filter((b) => b.blockedUserId === userId).map((b) => b.userId),
    });
  }
}

/** A queue that keeps what it was given. */
export class RecordingQueue implements FanoutQueue {
  readonly jobs: FanoutJob[] = [];
  enqueue(job: FanoutJob): Promise<void> {
    this.jobs.push(job);
    return Promise.resolve();
  }
  start(): void {}
  stop(): Promise<void> {
    return Promise.resolve();
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
}

/** Contacts nobody reads back in unit tests. */
export class RecordingContacts implements ContactStore {
  readonly recorded: Array<[string, string]> = [];
  record(userId: string, otherUserId: string): Promise<void> {
    this.recorded.push([userId, otherUserId]);
    return Promise.resolve();
  }
  contactsOf(): Promise<string[]> {
    return Promise.resolve([]);
  }
  isContact(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** Users and their devices, as the accounts domain would answer. */
export function accountsOf(devices: Record<string, string[]>) {
  return {
    devicesOf: (userId: string) => Promise.resolve([...(devices[userId] ?? [])]),
    usersById: (ids: readonly string[]) =>
      Promise.resolve(
        new Map<string, UserProfile>(
          ids
            .filter((id) => id in devices)
            .map((id) => [
              id,
              { userId: id, username: id, displayName: null, hideLastSeen: false },
            ]),
        ),
      ),
  };
}

/** A clock stopped at a given time. */
export function fixedClock(now: number): Clock {
  return { now: () => now };
}

/** A message service over recording fakes, and the fakes, for one test. */
export function messageWorld(devices: Record<string, string[]>, now = 1_000) {
  const inbox = new RecordingInbox();
  const queue = new RecordingQueue();
  const bus = new MemoryChatBus();
  const events: ChatBusEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const groups = new MemoryGroups();
  const contacts = new RecordingContacts();
  const blockStore = new MemoryBlocks();
  const users = new UserDirectory(accountsOf(devices));
  const clock = fixedClock(now);
  const blocks = new BlockService(blockStore, users, clock, bus);
  const messages = new MessageService({
    inbox,
    queue,
    bus,
    groups,
    contacts,
    blocks,
    users,
    clock,
    logger: createLogger('silent'),
    inboxTtlMs: 30 * 86_400_000,
  });
  return { inbox, queue, bus, events, groups, contacts, blocks, users, clock, messages };
}
