import {
  AppError,
  BlockList,
  ErrorResponse,
  Group,
  GroupList,
  Me,
  PublicUser,
  SessionResponse,
  UserPresence,
  isErrorCode,
  type BlockedUser,
  type GroupSummary,
  type GroupRole,
  type LoginRequest,
  type RegisterRequest,
  type UpdateMeRequest,
} from '@switchboard/shared';
import type { z } from 'zod';

/** The `fetch` the SDK calls: the global one by default. */
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

/** Pages of list endpoints are walked this many items at a time. */
const LIST_PAGE = 100;

/**
 * The HTTP half of the SDK: accounts, users and groups, with global `fetch`. Every
 * answer is validated against the shared schema; every failure is an `AppError` with
 * the server's code (`SERVICE_UNAVAILABLE` when the server cannot be reached).
 */
export class HttpApi {
  /** The server's origin, e.g. `https://chat.example`. */
  readonly baseUrl: string;
  #token: string | null;

  constructor(
    baseUrl: string,
    token: string | null = null,
    private readonly fetchFn: FetchFunction = (input, init) => globalThis.fetch(input, init),
  ) {
    this.baseUrl = normaliseBaseUrl(baseUrl);
    this.#token = token;
  }

  /** The bearer token sent with every request (null: anonymous). */
  get token(): string | null {
    return this.#token;
  }

  set token(value: string | null) {
    this.#token = value;
  }

  /** `POST /api/auth/register`: a new account and this device's session. */
  register(input: RegisterRequest): Promise<SessionResponse> {
    return this.request('POST', '/api/auth/register', SessionResponse, input);
  }

  /** `POST /api/auth/login`: a new device session for an existing account. */
  login(input: LoginRequest): Promise<SessionResponse> {
    return this.request('POST', '/api/auth/login', SessionResponse, input);
  }

  /** `POST /api/auth/logout`: revokes this device's token everywhere at once. */
  async logout(): Promise<void> {
    await this.request('POST', '/api/auth/logout', null);
  }

  /** `GET /api/me`: the signed-in account and this session's device. */
  me(): Promise<Me> {
    return this.request('GET', '/api/me', Me);
  }

  /** `PATCH /api/me`: display name, hiding last seen. */
  updateMe(input: UpdateMeRequest): Promise<Me> {
    return this.request('PATCH', '/api/me', Me, input);
  }

  /** `GET /api/users/by-username/:username`. */
  userByUsername(username: string): Promise<PublicUser> {
    return this.request('GET', `/api/users/by-username/${segment(username)}`, PublicUser);
  }

  /** `GET /api/users/:userId`. */
  userById(userId: string): Promise<PublicUser> {
    return this.request('GET', `/api/users/${segment(userId)}`, PublicUser);
  }

  /** `GET /api/users/:userId/presence`: a contact's presence (404 for a non-contact). */
  presence(userId: string): Promise<UserPresence> {
    return this.request('GET', `/api/users/${segment(userId)}/presence`, UserPresence);
  }

  /** `POST /api/groups`: a new group with me as admin. */
  createGroup(name: string, members: readonly string[] = []): Promise<Group> {
    return this.request('POST', '/api/groups', Group, { name, members });
  }

  /** `GET /api/groups/:groupId` (members only). */
  group(groupId: string): Promise<Group> {
    return this.request('GET', `/api/groups/${segment(groupId)}`, Group);
  }

  /** `GET /api/groups`, every page: the groups I am a member of. */
  async groups(): Promise<GroupSummary[]> {
    const all: GroupSummary[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: GroupList = await this.request(
        'GET',
        `/api/groups?limit=${LIST_PAGE}${query}`,
        GroupList,
      );
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  }

  /** `PATCH /api/groups/:groupId`: renames a group. */
  renameGroup(groupId: string, name: string): Promise<Group> {
    return this.request('PATCH', `/api/groups/${segment(groupId)}`, Group, { name });
  }

  /** `POST /api/groups/:groupId/members` (admins only): the group as it is now. */
  addMember(groupId: string, userId: string): Promise<Group> {
    return this.request('POST', `/api/groups/${segment(groupId)}/members`, Group, { userId });
  }

  /** `DELETE /api/groups/:groupId/members/:userId` (admins, or the member leaving). */
  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.request(
      'DELETE',
      `/api/groups/${segment(groupId)}/members/${segment(userId)}`,
      null,
    );
  }

  /** `PATCH /api/groups/:groupId/members/:userId`: makes a member an admin or not. */
  setRole(groupId: string, userId: string, role: GroupRole): Promise<Group> {
    return this.request(
      'PATCH',
      `/api/groups/${segment(groupId)}/members/${segment(userId)}`,
      Group,
      { role },
    );
  }

  /** `PUT /api/blocks/:userId`: this user can no longer message me. */
  async block(userId: string): Promise<void> {
    await this.request('PUT', `/api/blocks/${segment(userId)}`, null);
  }

  /** `GET /api/blocks`, every page: the users I blocked. */
  async blocked(): Promise<BlockedUser[]> {
    const all: BlockedUser[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: BlockList = await this.request(
        'GET',
        `/api/blocks?limit=${LIST_PAGE}${query}`,
        BlockList,
      );
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  }

  /** `DELETE /api/blocks/:userId`. */
  async unblock(userId: string): Promise<void> {
    await this.request('DELETE', `/api/blocks/${segment(userId)}`, null);
  }

  /** Sends one request and validates the answer with `schema` (null: no body expected). */
  async request<T>(
    method: string,
    path: string,
    schema: z.ZodType<T> | null,
    body?: unknown,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token !== null) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new AppError('SERVICE_UNAVAILABLE', `Could not reach ${this.baseUrl}.`, { cause });
    }
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(response, text);
    if (schema === null) return undefined as T;
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch (cause) {
      throw new AppError('INTERNAL', `${method} ${path} answered something that is not JSON.`, {
        cause,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AppError('INTERNAL', `${method} ${path} answered an unexpected shape.`, {
        details: parsed.error.issues,
      });
    }
    return parsed.data;
  }
}

/** The `AppError` an unsuccessful HTTP answer stands for. */
export function errorFromResponse(response: Response, text: string): AppError {
  const retryAfter = Number(response.headers.get('retry-after'));
  const options =
    Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {};
  try {
    const parsed = ErrorResponse.safeParse(JSON.parse(text));
    if (parsed.success && isErrorCode(parsed.data.error.code)) {
      return new AppError(parsed.data.error.code, parsed.data.error.message, {
        ...options,
        details: parsed.data.error.details,
      });
    }
  } catch {
    // not JSON: fall through to a code chosen by status
  }
  const code =
    response.status === 401
      ? 'UNAUTHENTICATED'
      : response.status === 403
        ? 'FORBIDDEN'
        : response.status === 404
          ? 'NOT_FOUND'
          : response.status === 429
            ? 'RATE_LIMITED'
            : response.status >= 500
              ? 'SERVICE_UNAVAILABLE'
              : 'INVALID_REQUEST';
  return new AppError(
    code,
    `The server answered ${response.status} ${response.statusText}.`,
    options,
  );
}

/** `http://host:3000/` → `http://host:3000`; a `ws(s)://` URL is taken as its http(s) twin. */
export function normaliseBaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'ws:') parsed.protocol = 'http:';
  else if (parsed.protocol === 'wss:') parsed.protocol = 'https:';
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`The server URL must be http(s) or ws(s), not ${parsed.protocol}`);
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** The WebSocket URL of a server: `http://host` → `ws://host/ws`. */
export function webSocketUrl(baseUrl: string): string {
  const url = new URL(normaliseBaseUrl(baseUrl));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  return url.toString();
}

function segment(value: string): string {
  return encodeURIComponent(value);
}
