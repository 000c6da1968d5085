import { z } from 'zod';
import { DEVICE_NAME_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH } from '../limits.js';
import { Id, requestBody } from './common.js';

/**
 * The longest password a request may carry. Larger than the rule (256 characters) so
 * that a long password gets `WEAK_PASSWORD` with a sentence rather than a schema
 * error, and small enough that nobody posts a megabyte for argon2 to chew.
 */
const PASSWORD_INPUT_MAX = 4 * PASSWORD_MAX_LENGTH;

/** Control characters and bidirectional overrides, which can disguise a name on screen. */
const UNSAFE_TEXT = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/** A name people read (display name, device name, token name): trimmed, no control characters. */
function label(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !UNSAFE_TEXT.test(s), 'must not contain control or bidirectional characters');
}

/**
 * Registration. The username and password rules are checked by the service so that
 * each failure gets its own code (`INVALID_USERNAME`, `WEAK_PASSWORD`); the schema
 * only fixes the types.
 */
export const RegisterRequest = requestBody({
  username: z.string().max(64),
  password: z.string().max(PASSWORD_INPUT_MAX),
  deviceName: label(DEVICE_NAME_MAX_LENGTH).optional(),
  displayName: label(DISPLAY_NAME_MAX_LENGTH).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

/** Login: a new device for the account; its name defaults to one read from the user agent. */
export const LoginRequest = requestBody({
  username: z.string().max(64),
  password: z.string().max(PASSWORD_INPUT_MAX),
  deviceName: label(DEVICE_NAME_MAX_LENGTH).optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** A new session: every login is a device with its own token. */
export const SessionResponse = z.object({
  userId: Id,
  deviceId: Id,
  token: z.string().describe('Send as `Authorization: Bearer <token>`; shown only once'),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

/** A user as anyone signed in may see them. */
export const PublicUser = z.object({
  userId: Id,
  username: z.string(),
  displayName: z.string().optional(),
});
export type PublicUser = z.infer<typeof PublicUser>;

/** The signed-in account, as `GET /api/me` answers it. */
export const Me = PublicUser.extend({
  deviceId: Id.nullable().describe('The device of this session; null for an API token'),
  hideLastSeen: z.boolean(),
  createdAt: z.iso.datetime(),
});
export type Me = z.infer<typeof Me>;

/** `PATCH /api/me`: a `displayName` of null removes it. */
export const UpdateMeRequest = requestBody({
  displayName: label(DISPLAY_NAME_MAX_LENGTH).nullable().optional(),
  hideLastSeen: z.boolean().optional(),
});
export type UpdateMeRequest = z.infer<typeof UpdateMeRequest>;

/** `POST /api/auth/password`: every other session of the account is signed out. */
export const ChangePasswordRequest = requestBody({
  currentPassword: z.string().max(PASSWORD_INPUT_MAX),
  newPassword: z.string().max(PASSWORD_INPUT_MAX),
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

/** A device: one per login, with its own session token. */
export const Device = z.object({
  deviceId: Id,
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean().describe('True for the device making this request'),
});
export type Device = z.infer<typeof Device>;

/** `GET /api/devices`: every device of the account, oldest first. */
export const DeviceList = z.object({ items: z.array(Device) });
export type DeviceList = z.infer<typeof DeviceList>;

/** `POST /api/devices/sign-out-others`: how many devices were signed out. */
export const SignOutOthersResponse = z.object({ signedOut: z.number().int().min(0) });
export type SignOutOthersResponse = z.infer<typeof SignOutOthersResponse>;

/** A personal API token for scripts. The secret is shown once, at creation. */
export const ApiToken = z.object({
  tokenId: Id,
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso
    .datetime()
    .nullable()
    .describe('After this the token no longer authenticates; null: never'),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** `GET /api/tokens`: every API token of the account, oldest first. */
export const ApiTokenList = z.object({ items: z.array(ApiToken) });
export type ApiTokenList = z.infer<typeof ApiTokenList>;

/** `POST /api/tokens`. */
export const CreateApiTokenRequest = requestBody({
  name: label(64),
  expiresInDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe('Days until the token expires; default: never'),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequest>;

/** The answer to `POST /api/tokens`: the only time the secret is shown. */
export const CreatedApiToken = ApiToken.extend({
  token: z.string().describe('The secret; shown only in this answer'),
});
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

/** Path parameters of the account routes. */
// As long as the router takes a path segment (256): a longer name than any username
// is looked up, after the caller is known, and not found, like any other.
export const UsernameParams = z.object({ username: z.string().max(256) });
export const UserIdParams = z.object({ userId: Id });
export const DeviceIdParams = z.object({ deviceId: Id });
export const TokenIdParams = z.object({ tokenId: Id });
