import { LRUCache } from 'lru-cache';
import { AppError, type SendFrame } from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { BlockService } from './block-service.js';
import type { ChatBus } from './chat-bus.js';
import type { ContactStore } from './contact-store.js';
import type { FanoutJob, FanoutQueue, GroupMessageJob } from './fanout-queue.js';
import type { GroupStore } from './group-store.js';
import {
  fanoutKey,
  sendKey,
  type Appended,
  type InboxItem,
  type InboxStore,
  type InboxWrite,
  type MessageRef,
} from './inbox-store.js';
import { groupEventPayload, msgPayload, receiptPayload } from './payloads.js';
import type { UserDirectory } from './user-directory.js';

/** A signed-in device: who sends, acknowledges or reads. */
export interface DeviceRef {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * A request that passed every check and whose write has been asked for; `done`
 * settles once it is durable. Callers that must keep an order among requests (the
 * sends of one socket) wait for the acceptance, not for the write, so that the writes
 * of many requests still share one commit.
 */
export interface Accepted<T> {
  readonly done: Promise<T>;
}

/** What the message flow is built on: the ports and the other chat services. */
export interface MessageServiceDeps {
  readonly inbox: InboxStore;
  readonly queue: FanoutQueue;
  readonly bus: ChatBus;
  readonly groups: GroupStore;
  readonly contacts: ContactStore;
  readonly blocks: BlockService;
  readonly users: UserDirectory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long an undelivered item (and an idempotency record) is kept. */
  readonly inboxTtlMs: number;
}

/** Contact pairs remembered as recorded, so that only a pair's first message writes one. */
const CONTACTS_REMEMBERED = 100_000;

/**
 * The message flow: sending (1:1 and group), cumulative acks with delivered receipts,
 * read receipts, and the group fan-out. Everything is written to the inbox store
 * first; sockets are then woken through the bus.
 */
export class MessageService {
  private readonly recordedContacts = new LRUCache<string, true>({ max: CONTACTS_REMEMBERED });

  constructor(private readonly deps: MessageServiceDeps) {}

  /**
   * Checks a send and asks for its write: for 1:1, the envelope in every target inbox
   * with the idempotency record; for a group, the fan-out job and the record. A resend
   * of a known id is answered with the original `ts` and writes nothing.
   */
  async accept(sender: DeviceRef, frame: SendFrame, body: string): Promise<Accepted<number>> {
    const key = sendKey(sender.userId, frame.id);
    try {
      return 'user' in frame.to
        ? await this.acceptDirect(sender, frame.id, frame.to.user, body, key)
        : await this.acceptGroup(sender, frame.id, frame.to.group, body, key);
    } catch (error) {
      // A resend of a message that was stored is answered `sent` even if it would be
      // refused now (the recipient blocked the sender since, say). The write itself
      // checks the key, so the common case, a new message, never looks it up here.
      const known = await this.deps.inbox.keyTs(key);
      if (known !== null) return { done: Promise.resolve(known) };
      throw error;
    }
  }

  private async acceptDirect(
    sender: DeviceRef,
    messageId: string,
    to: string,
    body: string,
    key: string,
  ): Promise<Accepted<number>> {
    const { users, blocks, inbox, clock } = this.deps;
    const toSelf = to === sender.userId;
    if (!toSelf) {
      const [exists, relation] = await Promise.all([
        users.exists(to),
        blocks.between(sender.userId, to),
      ]);
      // A block and an unknown user answer alike, so that nobody learns they are blocked.
      if (!exists || relation === 'blocked-by') {
        throw new AppError('RECIPIENT_UNAVAILABLE', 'This user cannot receive your messages.');
      }
      if (relation === 'blocked') throw new AppError('RECIPIENT_BLOCKED');
    }
    const [theirs, mine] = await Promise.all([
      users.devicesOf(to),
      toSelf ? Promise.resolve([]) : users.devicesOf(sender.userId),
    ]);
    const targets = [...theirs, ...mine].filter((d) => d !== sender.deviceId);
    const ts = clock.now();
    const message: MessageRef = { senderUserId: sender.userId, messageId, groupId: null };
    const payload = msgPayload({
      id: messageId,
      fromUser: sender.userId,
      fromDevice: sender.deviceId,
      to: { user: to },
      ts,
      body,
    });
    const done = inbox
      .deliver({
        key,
        ts,
        expiresAt: ts + this.deps.inboxTtlMs,
        writes: targets.length === 0 ? [] : [{ kind: 'msg', payload, deviceIds: targets, message }],
        ...(toSelf ? {} : { expectReceipts: { message, recipientUserIds: [to] } }),
      })
      .then((result) => {
        if (result.applied) {
          this.wake(result.appended);
          this.noteContact(sender.userId, to);
        }
        return result.ts;
      });
    return { done };
  }

  private async acceptGroup(
    sender: DeviceRef,
    messageId: string,
    groupId: string,
    body: string,
    key: string,
  ): Promise<Accepted<number>> {
    const { groups, queue, inbox, clock } = this.deps;
    const role = await groups.roleOf(groupId, sender.userId);
    if (role === null) {
      throw (await groups.exists(groupId))
        ? new AppError('NOT_A_MEMBER', 'Only members of the group may send to it.')
        : new AppError('GROUP_NOT_FOUND');
    }
    // A resend of a stored group message must not queue a second job.
    const known = await inbox.keyTs(key);
    if (known !== null) return { done: Promise.resolve(known) };
    const ts = clock.now();
    const job: GroupMessageJob = {
      kind: 'message',
      id: fanoutKey(sender.userId, messageId),
      groupId,
      from: { user: sender.userId, device: sender.deviceId },
      messageId,
      ts,
      body,
    };
    // The job first, then the record: a crash between the two leaves a job and no
    // record, and the client's resend queues a job with the same key, which the
    // fan-out applies once. The other order could answer `sent` for a lost message.
    const done = queue
      .enqueue(job)
      .then(() => inbox.deliver({ key, ts, expiresAt: ts + this.deps.inboxTtlMs }))
      .then((result) => result.ts);
    return { done };
  }

  /**
   * Acknowledges a device's items up to `uptoSeq` (deleting them) and, in the same
   * transaction, appends a delivered receipt for each message the user had not
   * received on any device yet, to every device of its sender.
   */
  async ack(device: DeviceRef, uptoSeq: number): Promise<void> {
    const { inbox, users, clock } = this.deps;
    const refs = await inbox.messagesUpTo(device.deviceId, uptoSeq, device.userId);
    const ts = clock.now();
    const ack = { deviceId: device.deviceId, uptoSeq };
    if (refs.length === 0) {
      await inbox.deliver({ ts, expiresAt: ts, ack });
      return;
    }
    const senders = await users.devicesOfAll([...new Set(refs.map((r) => r.senderUserId))]);
    const items = refs.map((ref) => ({
      message: ref,
      writes: [
        {
          kind: 'receipt' as const,
          payload: receiptPayload({
            id: ref.messageId,
            status: 'delivered',
            by: device.userId,
            ts,
            to: ref.groupId === null ? { user: device.userId } : { group: ref.groupId },
            sender: ref.senderUserId,
          }),
          deviceIds: senders.get(ref.senderUserId) ?? [],
        },
      ],
    }));
    const result = await inbox.deliver({
      ts,
      expiresAt: ts + this.deps.inboxTtlMs,
      ack,
      receipts: { status: 'delivered', recipientUserId: device.userId, items },
    });
    this.wake(result.appended);
  }

  /**
   * The user read these received messages: a read receipt for each (once) to every
   * device of its sender, and to the reader's other devices. Unknown ids are ignored.
   */
  async read(reader: DeviceRef, messageIds: readonly string[]): Promise<void> {
    const { inbox, users, clock } = this.deps;
    const refs = await inbox.pendingReceipts(reader.userId, [...new Set(messageIds)]);
    if (refs.length === 0) return;
    const ts = clock.now();
    const [senders, own] = await Promise.all([
      users.devicesOfAll([...new Set(refs.map((r) => r.senderUserId))]),
      users.devicesOf(reader.userId),
    ]);
    const others = own.filter((d) => d !== reader.deviceId);
    const items = refs.map((ref) => {
      const base = { id: ref.messageId, status: 'read' as const, by: reader.userId, ts };
      const writes: InboxWrite[] = [
        {
          kind: 'receipt',
          payload: receiptPayload({
            ...base,
            to: ref.groupId === null ? { user: reader.userId } : { group: ref.groupId },
            sender: ref.senderUserId,
          }),
          deviceIds: senders.get(ref.senderUserId) ?? [],
        },
      ];
      if (others.length > 0) {
        writes.push({
          kind: 'receipt',
          payload: receiptPayload({
            ...base,
            to: ref.groupId === null ? { user: ref.senderUserId } : { group: ref.groupId },
            sender: ref.senderUserId,
          }),
          deviceIds: others,
        });
      }
      return { message: ref, writes };
    });
    const result = await inbox.deliver({
      ts,
      expiresAt: ts + this.deps.inboxTtlMs,
      receipts: { status: 'read', recipientUserId: reader.userId, items },
    });
    this.wake(result.appended);
  }

  /** Applies one fan-out job; safe to run again (the delivery has the job's key). */
  async handleJob(job: FanoutJob): Promise<void> {
    const { groups, users, inbox } = this.deps;
    const members = await groups.memberIds(job.groupId);
    if (job.kind === 'message') {
      const devices = await users.devicesOfAll(members);
      const targets: string[] = [];
      for (const list of devices.values()) {
        for (const d of list) if (d !== job.from.device) targets.push(d);
      }
      const message: MessageRef = {
        senderUserId: job.from.user,
        messageId: job.messageId,
        groupId: job.groupId,
      };
      const payload = msgPayload({
        id: job.messageId,
        fromUser: job.from.user,
        fromDevice: job.from.device,
        to: { group: job.groupId },
        ts: job.ts,
        body: job.body,
      });
      const result = await inbox.deliver({
        key: job.id,
        ts: job.ts,
        expiresAt: job.ts + this.deps.inboxTtlMs,
        writes: targets.length === 0 ? [] : [{ kind: 'msg', payload, deviceIds: targets, message }],
        expectReceipts: {
          message,
          recipientUserIds: members.filter((m) => m !== job.from.user),
        },
      });
      this.wake(result.appended);
      return;
    }
    const audience = [...new Set([...members, ...job.alsoTo])];
    const devices = await users.devicesOfAll(audience);
    const targets = [...devices.values()].flat();
    const payload = groupEventPayload(job);
    const result = await inbox.deliver({
      key: job.id,
      ts: job.ts,
      expiresAt: job.ts + this.deps.inboxTtlMs,
      writes: targets.length === 0 ? [] : [{ kind: 'group', payload, deviceIds: targets }],
    });
    this.wake(result.appended);
  }

  /** Forgets a device whose session was revoked: its inbox goes with it. */
  dropDevice(deviceId: string): Promise<void> {
    return this.deps.inbox.dropDevice(deviceId);
  }

  /** Deletes what expired; answers how many inbox items went. */
  sweep(): Promise<number> {
    return this.deps.inbox.sweep(this.deps.clock.now());
  }

  /** Tells the nodes holding these devices' sockets that items are waiting. */
  private wake(appended: readonly Appended[]): void {
    if (appended.length === 0) return;
    const { bus } = this.deps;
    if (appended.length === 1) {
      const { deviceId, seq, payload } = appended[0]!;
      bus.publish({ kind: 'items', deviceId, items: [{ seq, payload }] });
      return;
    }
    const byDevice = new Map<string, InboxItem[]>();
    for (const { deviceId, seq, payload } of appended) {
      const items = byDevice.get(deviceId);
      if (items === undefined) byDevice.set(deviceId, [{ seq, payload }]);
      else items.push({ seq, payload });
    }
    for (const [deviceId, items] of byDevice) bus.publish({ kind: 'items', deviceId, items });
  }

  /** Records a 1:1 contact the first time two users exchange a message. */
  private noteContact(userId: string, otherId: string): void {
    if (userId === otherId) return;
    const pair = userId < otherId ? `${userId}\n${otherId}` : `${otherId}\n${userId}`;
    if (this.recordedContacts.has(pair)) return;
    this.recordedContacts.set(pair, true);
    this.deps.contacts.record(userId, otherId, this.deps.clock.now()).catch((error: unknown) => {
      this.recordedContacts.delete(pair);
      this.deps.logger.warn({ err: error }, 'could not record a contact');
    });
  }
}
