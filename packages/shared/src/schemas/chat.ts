import { z } from 'zod';
import { MESSAGE_ID_PATTERN, READ_IDS_MAX } from '../limits.js';
import { Id, pageOf, requestBody } from './common.js';

// ---------------------------------------------------------------- HTTP: groups

export const GroupRole = z.enum(['admin', 'member']);
export type GroupRole = z.infer<typeof GroupRole>;

export const GroupMember = z.object({ userId: Id, role: GroupRole });
export type GroupMember = z.infer<typeof GroupMember>;

export const Group = z
  .object({
    groupId: Id,
    name: z.string(),
    members: z.array(GroupMember),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Group' });
export type Group = z.infer<typeof Group>;

export const CreateGroupRequest = requestBody({
  name: z.string().max(1000),
  members: z.array(Id).max(10_000).describe('User ids to add besides the creator'),
});
export type CreateGroupRequest = z.infer<typeof CreateGroupRequest>;

export const UpdateGroupRequest = requestBody({
  name: z.string().max(1000),
});
export type UpdateGroupRequest = z.infer<typeof UpdateGroupRequest>;

export const AddMemberRequest = requestBody({ userId: Id });
export type AddMemberRequest = z.infer<typeof AddMemberRequest>;

export const UpdateMemberRequest = requestBody({ role: GroupRole });
export type UpdateMemberRequest = z.infer<typeof UpdateMemberRequest>;

export const GroupIdParams = z.object({ groupId: Id });
export const GroupMemberParams = z.object({ groupId: Id, userId: Id });

/** One of the caller's groups, as `GET /api/groups` lists them. */
export const GroupSummary = z
  .object({
    groupId: Id,
    name: z.string(),
    createdAt: z.iso.datetime(),
    memberCount: z.number().int(),
    role: GroupRole.describe("The caller's role"),
  })
  .meta({ id: 'GroupSummary' });
export type GroupSummary = z.infer<typeof GroupSummary>;

/** A page of the caller's groups, by group id. */
export const GroupList = pageOf(GroupSummary);
export type GroupList = z.infer<typeof GroupList>;

// ---------------------------------------------------------------- HTTP: blocks and presence

/** A user the caller blocked. */
export const BlockedUser = z
  .object({ userId: Id, createdAt: z.iso.datetime() })
  .meta({ id: 'BlockedUser' });
export type BlockedUser = z.infer<typeof BlockedUser>;

/** A page of the caller's blocks, by user id. */
export const BlockList = pageOf(BlockedUser);
export type BlockList = z.infer<typeof BlockList>;

/** A contact's presence, as `GET /api/users/:userId/presence` answers it. */
export const UserPresence = z
  .object({
    user: Id,
    online: z.boolean(),
    lastSeen: z
      .number()
      .int()
      .nullable()
      .describe('ms since the epoch; null while online, when hidden, or when unknown'),
  })
  .meta({ id: 'UserPresence' });
export type UserPresence = z.infer<typeof UserPresence>;

// ---------------------------------------------------------------- WebSocket frames

/** A message id, chosen by the sending client (a UUID is recommended). */
export const MessageId = z.string().regex(MESSAGE_ID_PATTERN);

/** Where a message goes: one user, or a group. */
export const Address = z.union([z.object({ user: Id }).strict(), z.object({ group: Id }).strict()]);
export type Address = z.infer<typeof Address>;

/** Who sent an inbox item: a user and the device they sent it from. */
export const Sender = z.object({ user: Id, device: Id });
export type Sender = z.infer<typeof Sender>;

const seq = z.number().int().nonnegative();

// client → server

export const AuthFrame = z.object({
  type: z.literal('auth'),
  token: z.string().min(1).max(512),
  after: seq.default(0).describe('Send inbox items with a greater seq; the last seq acknowledged'),
});
export const SendFrame = z.object({
  type: z.literal('send'),
  id: MessageId,
  to: Address,
  body: z.json().describe('Opaque to the server; at most MESSAGE_BODY_MAX_BYTES as JSON'),
});
export const AckFrame = z.object({ type: z.literal('ack'), seq });
export const ReadFrame = z.object({
  type: z.literal('read'),
  ids: z.array(MessageId).min(1).max(READ_IDS_MAX),
});
export const TypingState = z.enum(['start', 'stop']);
export const TypingFrame = z.object({ type: z.literal('typing'), to: Address, state: TypingState });
export const PingFrame = z.object({
  type: z.literal('ping'),
  nonce: z.string().max(64).optional(),
});

/** Every frame a client may send. */
export const ClientFrame = z.discriminatedUnion('type', [
  AuthFrame,
  SendFrame,
  AckFrame,
  ReadFrame,
  TypingFrame,
  PingFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type AuthFrame = z.infer<typeof AuthFrame>;
export type SendFrame = z.infer<typeof SendFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ReadFrame = z.infer<typeof ReadFrame>;
export type TypingFrame = z.infer<typeof TypingFrame>;
export type PingFrame = z.infer<typeof PingFrame>;

// server → client

export const ReadyFrame = z.object({
  type: z.literal('ready'),
  userId: Id,
  deviceId: Id,
  heartbeatMs: z.number().int().describe('The server pings this often; a silent peer is dropped'),
});
export const SentFrame = z.object({ type: z.literal('sent'), id: MessageId, ts: z.number().int() });

/** A message in a device's inbox. */
export const MsgFrame = z.object({
  type: z.literal('msg'),
  seq,
  id: MessageId,
  from: Sender,
  to: Address,
  ts: z.number().int(),
  body: z.json(),
});
export const ReceiptStatus = z.enum(['delivered', 'read']);
/** A delivery or read receipt, in every device inbox of the message's sender. */
export const ReceiptFrame = z.object({
  type: z.literal('receipt'),
  seq,
  id: MessageId,
  status: ReceiptStatus,
  by: Id,
  ts: z.number().int(),
  to: Address.optional().describe(
    'The conversation of the message, as the receiving device names it (for 1:1: the other user)',
  ),
  sender: Id.optional().describe('The user who sent the message the receipt is about'),
});
export const GroupEventKind = z.enum([
  'created',
  'renamed',
  'member-added',
  'member-removed',
  'member-left',
  'role-changed',
]);
/** A change of group membership or name, in the inbox of every member device. */
export const GroupEventFrame = z.object({
  type: z.literal('group'),
  seq,
  groupId: Id,
  event: GroupEventKind,
  by: Id.describe('The user who made the change'),
  userId: Id.optional().describe('The member concerned, for membership events'),
  name: z.string().optional().describe('The group name, for created and renamed'),
  role: z.enum(['admin', 'member']).optional(),
  ts: z.number().int(),
});
/** The backlog that existed at connect time has been sent; what follows is live. */
export const SyncedFrame = z.object({ type: z.literal('synced'), seq });
export const TypingRelayFrame = z.object({
  type: z.literal('typing'),
  from: Sender,
  to: Address,
  state: TypingState,
});
export const PresenceFrame = z.object({
  type: z.literal('presence'),
  user: Id,
  online: z.boolean(),
  lastSeen: z.number().int().nullable().describe('ms since epoch; null when hidden or unknown'),
});
export const PongFrame = z.object({ type: z.literal('pong'), nonce: z.string().optional() });
export const ErrorFrame = z.object({
  type: z.literal('error'),
  id: z.string().optional(),
  code: z.string(),
  message: z.string(),
});

/** Items that live in a device inbox, carry a `seq`, and must be acknowledged. */
export const InboxFrame = z.discriminatedUnion('type', [MsgFrame, ReceiptFrame, GroupEventFrame]);
export type InboxFrame = z.infer<typeof InboxFrame>;

/** Every frame the server may send. */
export const ServerFrame = z.discriminatedUnion('type', [
  ReadyFrame,
  SentFrame,
  MsgFrame,
  ReceiptFrame,
  GroupEventFrame,
  SyncedFrame,
  TypingRelayFrame,
  PresenceFrame,
  PongFrame,
  ErrorFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ReadyFrame = z.infer<typeof ReadyFrame>;
export type SentFrame = z.infer<typeof SentFrame>;
export type MsgFrame = z.infer<typeof MsgFrame>;
export type ReceiptFrame = z.infer<typeof ReceiptFrame>;
export type GroupEventFrame = z.infer<typeof GroupEventFrame>;
export type SyncedFrame = z.infer<typeof SyncedFrame>;
export type TypingRelayFrame = z.infer<typeof TypingRelayFrame>;
export type PresenceFrame = z.infer<typeof PresenceFrame>;
export type PongFrame = z.infer<typeof PongFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** WebSocket close codes the server uses, besides the standard ones. */
export const WS_CLOSE = {
  AUTH_TIMEOUT: 4001,
  AUTH_FAILED: 4003,
  SESSION_REVOKED: 4004,
  SESSION_REPLACED: 4005,
  SLOW_CONSUMER: 4008,
  RATE_LIMITED: 4029,
  SHUTTING_DOWN: 1001,
} as const;
