import type {
  ApiToken,
  ApiTokenList,
  CreateApiTokenRequest,
  CreatedApiToken,
  Device,
  DeviceList,
  LoginRequest,
  Me,
  RegisterRequest,
  SessionResponse,
  SignOutOthersResponse,
  UpdateMeRequest,
} from '@switchboard/shared';
import { apiRequest } from './http.js';
import { endSession, startSession } from './session.js';

/** Creates an account, signs this browser in as its first device, and returns the user. */
export async function signUp(request: RegisterRequest): Promise<Me> {
  const session = await apiRequest<SessionResponse>('POST', '/api/auth/register', {
    body: request,
  });
  return adopt(session);
}

/** Signs this browser in as a new device of an existing account. */
export async function signIn(request: LoginRequest): Promise<Me> {
  const session = await apiRequest<SessionResponse>('POST', '/api/auth/login', { body: request });
  return adopt(session);
}

async function adopt(session: SessionResponse): Promise<Me> {
  // The username is needed for the header; ask with the new token before storing it so
  // that a half-started session is never left behind.
  const me = await apiRequest<Me>('GET', '/api/me', { token: session.token });
  startSession({
    token: session.token,
    userId: session.userId,
    deviceId: session.deviceId,
    username: me.username,
  });
  return me;
}

/** Signs this device out on the server, then forgets it here whatever the answer. */
export async function signOut(): Promise<void> {
  try {
    await apiRequest<void>('POST', '/api/auth/logout');
  } catch {
    // Offline or already revoked: the token is forgotten here anyway.
  } finally {
    endSession('signed-out');
  }
}

/** The signed-in account. */
export function fetchMe(signal?: AbortSignal): Promise<Me> {
  return apiRequest<Me>('GET', '/api/me', { signal });
}

/** Changes the display name or the last-seen preference. */
export function updateMe(request: UpdateMeRequest): Promise<Me> {
  return apiRequest<Me>('PATCH', '/api/me', { body: request });
}

/** Changes the password; every other session of the account is signed out. */
export function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  return apiRequest<void>('POST', '/api/auth/password', { body: { currentPassword, newPassword } });
}

/** Every device (login) of the account. */
export async function listDevices(signal?: AbortSignal): Promise<Device[]> {
  const answer = await apiRequest<DeviceList>('GET', '/api/devices', { signal });
  return answer.items;
}

/** Signs one device out at once. */
export function revokeDevice(deviceId: string): Promise<void> {
  return apiRequest<void>('DELETE', `/api/devices/${encodeURIComponent(deviceId)}`);
}

/** Signs out every device of the account but this one; answers how many were. */
export async function signOutOtherDevices(): Promise<number> {
  const answer = await apiRequest<SignOutOthersResponse>('POST', '/api/devices/sign-out-others');
  return answer.signedOut;
}

/** The account's personal API tokens (without their secrets). */
export async function listTokens(signal?: AbortSignal): Promise<ApiToken[]> {
  const answer = await apiRequest<ApiTokenList>('GET', '/api/tokens', { signal });
  return answer.items;
}

/** Creates an API token; the answer holds its secret, which is never shown again. */
export function createToken(request: CreateApiTokenRequest): Promise<CreatedApiToken> {
  return apiRequest<CreatedApiToken>('POST', '/api/tokens', { body: request });
}

/** Revokes an API token at once. */
export function revokeToken(tokenId: string): Promise<void> {
  return apiRequest<void>('DELETE', `/api/tokens/${encodeURIComponent(tokenId)}`);
}
