import type { ErrorSpec } from './spec.js';

/** Codes of the chat HTTP API and the WebSocket protocol. */
export const CHAT_ERRORS = {
  INVALID_FRAME: {
    status: 400,
    description: 'A WebSocket frame is not JSON or does not match the schema of its type.',
  },
  FRAME_TOO_LARGE: { status: 413, description: 'A WebSocket frame is larger than the limit.' },
  BODY_TOO_LARGE: { status: 413, description: 'A message body is larger than the limit.' },
  AUTH_REQUIRED: {
    status: 401,
    description:
      'The first frame on a WebSocket must be `auth`; nothing else is accepted before it.',
  },
  AUTH_FAILED: { status: 401, description: 'The token in the `auth` frame is not valid.' },
  ALREADY_AUTHENTICATED: { status: 400, description: 'This socket has already authenticated.' },
  SLOW_CONSUMER: {
    status: 503,
    description: 'The device read too slowly and was disconnected; its messages wait in its inbox.',
  },
  SESSION_REPLACED: {
    status: 409,
    description: 'The same device connected again elsewhere; this older socket was closed.',
  },
  SESSION_REVOKED: {
    status: 401,
    description: "The device's token was revoked (logout or sign-out).",
  },
  RECIPIENT_UNAVAILABLE: {
    status: 404,
    description:
      'The message cannot be delivered to this user, or the user cannot be added to a group (no such user, or not accepted).',
  },
  RECIPIENT_BLOCKED: {
    status: 403,
    description: 'You blocked this user: unblock them before sending them anything.',
  },
  CANNOT_BLOCK_SELF: { status: 400, description: 'A user cannot block themself.' },
  GROUP_NOT_FOUND: {
    status: 404,
    description: 'No group has this id, or the caller is not a member of it.',
  },
  NOT_A_MEMBER: { status: 403, description: 'Only members of the group may do this.' },
  NOT_GROUP_ADMIN: { status: 403, description: 'Only admins of the group may do this.' },
  GROUP_FULL: { status: 409, description: 'The group has reached its maximum number of members.' },
  ALREADY_A_MEMBER: { status: 409, description: 'The user is already a member of the group.' },
  MEMBER_NOT_FOUND: { status: 404, description: 'This user is not a member of the group.' },
  LAST_ADMIN: {
    status: 409,
    description: 'The last admin cannot leave or be demoted while other members remain.',
  },
  INVALID_GROUP_NAME: {
    status: 400,
    description: 'Group names are 1 to 100 characters, without control characters.',
  },
} as const satisfies Record<string, ErrorSpec>;
