import { z } from 'zod';
import { DEVICE_NAME_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH } from '../limits.js';
import { Id } from './common.js';

/**
 * Registration. The username and password rules are checked by the service so that
 * each failure gets its own code (`INVALID_USERNAME`, `WEAK_PASSWORD`); the schema
 * only fixes the types.
 */
export const RegisterRequest = z.object({
  username: z.string().max(64),
  password: z.string().max(PASSWORD_MAX_LENGTH),
  deviceName: z.string().trim().min(1).max(DEVICE_NAME_MAX_LENGTH).optional(),
  displayName: z.string().trim().min(1).max(DISPLAY_NAME_MAX_LENGTH).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const LoginRequest = z.object({
  username: z.string().max(64),
  password: z.string().max(PASSWORD_MAX_LENGTH),
  deviceName: z.string().trim().min(1).max(DEVICE_NAME_MAX_LENGTH).optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** A new session: every login is a device with its own token. */
export const SessionResponse = z.object({
  userId: Id,
  deviceId: Id,
  token: z.string().describe('Send as `Authorization: Bearer <token>`; shown only once'),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

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

export const UpdateMeRequest = z.object({
  displayName: z.string().trim().min(1).max(DISPLAY_NAME_MAX_LENGTH).nullable().optional(),
  hideLastSeen: z.boolean().optional(),
});
export type UpdateMeRequest = z.infer<typeof UpdateMeRequest>;

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

/** A personal API token for scripts. The secret is shown once, at creation. */
export const ApiToken = z.object({
  tokenId: Id,
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const CreateApiTokenRequest = z.object({
  name: z.string().trim().min(1).max(64),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequest>;

export const CreatedApiToken = ApiToken.extend({
  token: z.string().describe('The secret; shown only in this answer'),
});
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;
