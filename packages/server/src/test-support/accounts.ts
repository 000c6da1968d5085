import { randomBytes } from 'node:crypto';
import type { SessionResponse } from '@switchboard/shared';

/** A registered user and the session of their first device. */
export interface TestUser extends SessionResponse {
  readonly username: string;
  readonly password: string;
}

/** A fresh username that no other test picks. */
export function uniqueUsername(prefix = 'user'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** `Authorization` (and JSON) headers for a token. */
export function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/**
 * Registers a user through the HTTP API (a random username unless given) and
 * answers their first session. Throws with the server's answer if it refused.
 */
export async function registerUser(
  baseUrl: string,
  options: { username?: string; password?: string; deviceName?: string; displayName?: string } = {},
): Promise<TestUser> {
  const username = options.username ?? uniqueUsername();
  const password = options.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const res = await fetch(`${baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...options, username, password }),
  });
  if (res.status !== 201)
    throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  return { ...((await res.json()) as SessionResponse), username: username.toLowerCase(), password };
}

/** Signs an existing user in on a new device through the HTTP API. */
export async function loginUser(
  baseUrl: string,
  user: { username: string; password: string },
  deviceName?: string,
): Promise<SessionResponse> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password, deviceName }),
  });
  if (res.status !== 200)
    throw new Error(`login ${user.username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionResponse;
}

/** An HTTP answer, read: status, headers and the JSON body (undefined when empty). */
export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Calls the API as a client would: JSON in, JSON out, an optional bearer token. */
export async function callApi<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}
