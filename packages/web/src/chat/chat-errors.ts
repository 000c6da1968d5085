import { AppError } from '@switchboard/shared';
import { describeError } from '../api/error-messages.js';
import { ApiError } from '../api/http.js';

/** What the chat's refusals mean to someone using it (the SDK reports the server's codes). */
const SENTENCES: Partial<Record<string, string>> = {
  USER_NOT_FOUND: 'There is no account with that username.',
  RECIPIENT_UNAVAILABLE: 'This person can’t receive your messages.',
  RECIPIENT_BLOCKED: 'You blocked this person. Unblock them to send them messages.',
  GROUP_NOT_FOUND: 'This group doesn’t exist, or you are not in it any more.',
  NOT_A_MEMBER: 'You are not a member of this group any more.',
  NOT_GROUP_ADMIN: 'Only the group’s admins can do that.',
  GROUP_FULL: 'This group is full.',
  ALREADY_A_MEMBER: 'That person is already in the group.',
  MEMBER_NOT_FOUND: 'That person is not in the group any more.',
  LAST_ADMIN: 'Make someone else an admin first.',
  INVALID_GROUP_NAME: 'Group names are 1 to 100 characters, on one line.',
  BODY_TOO_LARGE: 'This message is too long to send. Split it into several.',
  SERVICE_UNAVAILABLE: 'We couldn’t reach the server. Check your connection and try again.',
  AUTH_FAILED: 'Your session has ended. Sign in again to continue.',
};

/** A sentence for any failure of a chat action, SDK or app alike. */
export function describeChatError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const sentence = SENTENCES[code];
    if (sentence !== undefined) return sentence;
  }
  if (error instanceof AppError) {
    return describeError(
      new ApiError(error.code, error.message, error.status, error.retryAfterSeconds ?? null),
    );
  }
  return describeError(error);
}

/** The code of a failure, if it has one. */
export function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}
