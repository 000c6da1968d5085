import type {
  Address,
  GroupEventFrame,
  GroupRole,
  PresenceFrame,
  ReceiptFrame,
  TypingFrame,
} from '@switchboard/shared';

/**
 * The JSON of the frames the server sends, built by hand where it is hot, so that a
 * message is serialised once whatever the number of devices it goes to. Inbox
 * payloads have no `seq`: `itemFrame` adds each device's own.
 */

const q = JSON.stringify;

function address(to: Address): string {
  return 'user' in to ? `{"user":${q(to.user)}}` : `{"group":${q(to.group)}}`;
}

/** The payload of a `msg` item; `body` is the message body, already JSON. */
export function msgPayload(m: {
  id: string;
  fromUser: string;
  fromDevice: string;
  to: Address;
  ts: number;
  body: string;
}): string {
  return `{"type":"msg","id":${q(m.id)},"from":{"user":${q(m.fromUser)},"device":${q(m.fromDevice)}},"to":${address(m.to)},"ts":${m.ts},"body":${m.body}}`;
}

/** The payload of a `receipt` item. */
export function receiptPayload(r: {
  id: string;
  status: ReceiptFrame['status'];
  by: string;
  ts: number;
  to: Address;
  sender: string;
}): string {
  return `{"type":"receipt","id":${q(r.id)},"status":${q(r.status)},"by":${q(r.by)},"ts":${r.ts},"to":${address(r.to)},"sender":${q(r.sender)}}`;
}

/** The payload of a `group` item (a membership or name change). */
export function groupEventPayload(e: {
  groupId: string;
  event: GroupEventFrame['event'];
  by: string;
  userId?: string;
  name?: string;
  role?: GroupRole;
  ts: number;
}): string {
  return JSON.stringify({
    type: 'group',
    groupId: e.groupId,
    event: e.event,
    by: e.by,
    ...(e.userId === undefined ? {} : { userId: e.userId }),
    ...(e.name === undefined ? {} : { name: e.name }),
    ...(e.role === undefined ? {} : { role: e.role }),
    ts: e.ts,
  });
}

/** A relayed `typing` frame. */
export function typingFrame(from: { user: string; device: string }, frame: TypingFrame): string {
  return `{"type":"typing","from":{"user":${q(from.user)},"device":${q(from.device)}},"to":${address(frame.to)},"state":${q(frame.state)}}`;
}

/** A `presence` frame. */
export function presenceFrame(p: Omit<PresenceFrame, 'type'>): string {
  return `{"type":"presence","user":${q(p.user)},"online":${p.online},"lastSeen":${p.lastSeen === null ? 'null' : p.lastSeen}}`;
}

/** An `error` frame. */
export function errorFrame(code: string, message: string, id?: string): string {
  return id === undefined
    ? `{"type":"error","code":${q(code)},"message":${q(message)}}`
    : `{"type":"error","id":${q(id)},"code":${q(code)},"message":${q(message)}}`;
}
